/**
 * In-process comparison on the same tokens: jose's compactVerify (signature and JWS structure
 * only, with a CryptoKey imported once) versus the whole Signet verifier (strict parsing, pinned
 * algorithm, signature with node:crypto, time, audience, request binding and the replay check),
 * for Ed25519 and HS256, one token at a time and 50 at once. Why the server keeps its own verifier
 * is written in docs/performance.md.
 * `node --import tsx bench/jose-vs-signet.ts [COUNT]`
 */
import { createPublicKey, randomBytes } from 'node:crypto';
import { compactVerify, importJWK } from 'jose';
import { systemClock } from '../src/clock.js';
import { generateKeyPair } from '../src/client/keys.js';
import { signRequest } from '../src/client/sign.js';
import type { SigningKey } from '../src/client/signing-key.js';
import { publicKeyToJwk } from '../src/protocol/public-key.js';
import type { ResolvedKey } from '../src/server/key-cache.js';
import { createVerifier } from '../src/server/verifier.js';
import { MemoryReplayStore } from '../src/store/memory-replay-store.js';

const count = Number(process.argv[2] ?? 20000);
const CONCURRENCY = 50;
const origin = 'http://127.0.0.1:3000';
const kid = 'key_0123456789012345678901';
const consumer: ResolvedKey['consumer'] = { id: 'con_x', name: 'x', status: 'active', plan: null, rateLimitOverrides: null, metadata: {}, allowedModes: ['ed25519', 'hmac'], createdAt: 0, updatedAt: 0 };
const keyRecord = (type: 'ed25519' | 'hmac', publicKey: Uint8Array | null) =>
  ({ id: kid, consumerId: consumer.id, type, publicKey, thumbprint: null, label: '', scopes: [], notBefore: null, expiresAt: null, revokedAt: null, lastUsedAt: null, createdAt: 0 }) as ResolvedKey['key'];

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

async function compare(label: string, signed: string[], joseKey: CryptoKey | Uint8Array, alg: string, resolved: () => ResolvedKey): Promise<void> {
  const viaJose = (token: string) => compactVerify(token, joseKey, { algorithms: [alg] });
  // Warm both paths on their own tokens, then measure on the same tokens (a fresh verifier each
  // time, so the replay check accepts every token once).
  const warm = signed.slice(0, Math.min(2000, signed.length));
  await measure(warm, 1, viaJose);
  await measure(warm, 1, (token) => signetVerifier(resolved())({ method: 'GET', target: '/v1/whoami', authorization: `Signet ${token}`, body: empty }));
  for (const concurrency of [1, CONCURRENCY]) {
    const joseUs = await measure(signed, concurrency, viaJose);
    const verify = signetVerifier(resolved());
    const signetUs = await measure(signed, concurrency, (token) => verify({ method: 'GET', target: '/v1/whoami', authorization: `Signet ${token}`, body: empty }));
    rows.push([label, concurrency === 1 ? 'one at a time' : `${concurrency} at once`, joseUs, signetUs]);
  }
}

const pair = await generateKeyPair();
const edKey = (await importJWK({ ...publicKeyToJwk(pair.publicKey) }, 'EdDSA')) as CryptoKey;
const edObject = createPublicKey({ key: { ...publicKeyToJwk(pair.publicKey) }, format: 'jwk' });
await compare('Ed25519 (EdDSA)', await tokens({ type: 'ed25519', privateKey: pair.privateKey }), edKey, 'EdDSA', () => ({ key: keyRecord('ed25519', pair.publicKey), consumer, keyObject: edObject }));

const secret = new Uint8Array(randomBytes(32));
await compare('HMAC (HS256)', await tokens({ type: 'hmac', secret }), secret, 'HS256', () => ({ key: keyRecord('hmac', null), consumer, keyObject: null, hmacSecret: secret }));

console.log(`Node ${process.version}, ${count} distinct tokens per algorithm`);
console.log('| tokens | verified | jose compactVerify µs/op | Signet verifier µs/op |');
console.log('| --- | --- | ---: | ---: |');
for (const [label, mode, joseUs, signetUs] of rows) console.log(`| ${label} | ${mode} | ${joseUs.toFixed(1)} | ${signetUs.toFixed(1)} |`);
