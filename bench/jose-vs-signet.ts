/**
 * In-process comparison on the same tokens: jose's compactVerify (signature and JWS structure
 * only, with a CryptoKey imported once) versus the whole Signet verifier (strict parsing, pinned
 * algorithm, signature with node:crypto, time, audience, request binding and the replay check),
 * for Ed25519 and HS256, one token at a time and 50 at once. Why the server keeps its own verifier
 * is written in docs/performance.md.
 * `node --import tsx bench/jose-vs-signet.ts [COUNT]`
 */
import { createPublicKey, randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { compactVerify, importJWK } from 'jose';
import { systemClock } from '../src/clock.js';
import { generateKeyPair } from '../src/client/keys.js';
import { signRequest } from '../src/client/sign.js';
import type { SigningKey } from '../src/client/signing-key.js';
import { publicKeyToJwk } from '../src/protocol/public-key.js';
import type { ResolvedKey } from '../src/server/key-cache.js';
import { benchKeyRecord } from './key-record.js';
import { createVerifier } from '../src/server/verifier.js';
import { MemoryReplayStore } from '../src/store/memory-replay-store.js';

const count = Number(process.argv[2] ?? 20000);
const CONCURRENCY = 50;
const origin = 'http://127.0.0.1:3000';
const kid = 'key_0123456789012345678901';
const consumer: ResolvedKey['consumer'] = {
  id: 'con_x',
  name: 'x',
  status: 'active',
  plan: null,
  rateLimitOverrides: null,
  metadata: {},
  allowedModes: ['ed25519', 'hmac'],
  createdAt: 0,
  updatedAt: 0,
};
const keyRecord = (type: 'ed25519' | 'hmac', publicKey: Uint8Array | null) => benchKeyRecord(kid, consumer.id, type, publicKey);

async function tokens(key: SigningKey): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < count; i++) out.push((await signRequest({ method: 'GET', url: `${origin}/v1/whoami`, key, kid, lifetimeSeconds: 300 })).token);
  return out;
}

/** µs per token, every token verified once, `concurrency` in flight at a time. */
async function measure(all: string[], concurrency: number, verifyOne: (token: string) => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  for (let i = 0; i < all.length; i += concurrency) await Promise.all(all.slice(i, i + concurrency).map(verifyOne));
  return Number(process.hrtime.bigint() - started) / all.length / 1000;
}

function signetVerifier(resolved: ResolvedKey) {
  return createVerifier({
    config: { publicOrigin: origin, audience: origin, maxTokenLifetimeSeconds: 300, clockSkewSeconds: 60 },
    keys: { resolve: async () => resolved },
    replay: new MemoryReplayStore({ clock: systemClock, capacity: 10_000_000 }),
    clock: systemClock,
  });
}

const empty = new Uint8Array(0);
const rows: Array<[string, string, number, number]> = [];

const CHUNK = 500;

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/**
 * The machine is shared and its load moves: the two verifiers take turns over chunks of the same
 * tokens (which goes first alternates), and each reports the median of its chunks.
 */
async function compare(label: string, signed: string[], joseKey: CryptoKey | Uint8Array, alg: string, resolved: () => ResolvedKey): Promise<void> {
  const viaJose = (token: string) => compactVerify(token, joseKey, { algorithms: [alg] });
  const warm = signed.slice(0, Math.min(2000, signed.length));
  await measure(warm, 1, viaJose);
  await measure(warm, 1, (token) => signetVerifier(resolved())({ method: 'GET', target: '/v1/whoami', authorization: `Signet ${token}`, body: empty }));
  for (const concurrency of [1, CONCURRENCY]) {
    // A fresh verifier per pass, so the replay check accepts every token once.
    const verify = signetVerifier(resolved());
    const viaSignet = (token: string) => verify({ method: 'GET', target: '/v1/whoami', authorization: `Signet ${token}`, body: empty });
    const joseChunks: number[] = [];
    const signetChunks: number[] = [];
    for (let i = 0; i < signed.length; i += CHUNK) {
      const chunk = signed.slice(i, i + CHUNK);
      const joseFirst = (i / CHUNK) % 2 === 0;
      if (joseFirst) joseChunks.push(await measure(chunk, concurrency, viaJose));
      signetChunks.push(await measure(chunk, concurrency, viaSignet));
      if (!joseFirst) joseChunks.push(await measure(chunk, concurrency, viaJose));
    }
    rows.push([label, concurrency === 1 ? 'one at a time' : `${concurrency} at once`, median(joseChunks), median(signetChunks)]);
  }
}

const pair = await generateKeyPair();
const edKey = (await importJWK({ ...publicKeyToJwk(pair.publicKey) }, 'EdDSA')) as CryptoKey;
const edObject = createPublicKey({ key: { ...publicKeyToJwk(pair.publicKey) }, format: 'jwk' });
await compare('Ed25519 (EdDSA)', await tokens({ type: 'ed25519', privateKey: pair.privateKey }), edKey, 'EdDSA', () => ({ key: keyRecord('ed25519', pair.publicKey), consumer, keyObject: edObject }));

const secret = new Uint8Array(randomBytes(32));
await compare('HMAC (HS256)', await tokens({ type: 'hmac', secret }), secret, 'HS256', () => ({ key: keyRecord('hmac', null), consumer, keyObject: null, hmacSecret: secret }));

console.log(
  `Node ${process.version}, ${count} distinct tokens per algorithm, median of chunks of ${CHUNK}, load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);
console.log('| tokens | verified | jose compactVerify µs/op | Signet verifier µs/op |');
console.log('| --- | --- | ---: | ---: |');
for (const [label, mode, joseUs, signetUs] of rows) console.log(`| ${label} | ${mode} | ${joseUs.toFixed(1)} | ${signetUs.toFixed(1)} |`);
