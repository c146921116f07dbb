/**
 * In-process micro benchmark: the verifier function alone versus crypto.verify alone, over the
 * same distinct tokens. Isolates Signet's own overhead from HTTP and Koa.
 * `node --import tsx bench/verifier-micro.ts [COUNT]`
 */
import { createPublicKey, verify as verifySignature } from 'node:crypto';
import { systemClock } from '../src/clock.js';
import { generateKeyPair } from '../src/client/keys.js';
import { encodeBase64url } from '../src/protocol/base64url.js';
import { signRequest } from '../src/client/sign.js';
import { KeyCache } from '../src/server/key-cache.js';
import { createVerifier } from '../src/server/verifier.js';
import { MemoryReplayStore } from '../src/store/memory-replay-store.js';
import type { CredentialStore } from '../src/store/types.js';
import { benchKeyRecord } from './key-record.js';

const count = Number(process.argv[2] ?? 20000);
const pair = await generateKeyPair();
const kid = 'key_0123456789012345678901';
const origin = 'http://127.0.0.1:3000';
const tokens: string[] = [];
for (let i = 0; i < count; i++) {
  tokens.push((await signRequest({ method: 'GET', url: `${origin}/v1/whoami`, key: { type: 'ed25519', privateKey: pair.privateKey }, kid, lifetimeSeconds: 300 })).token);
}
const record = {
  key: benchKeyRecord(kid, 'con_x', 'ed25519', pair.publicKey),
  consumer: { id: 'con_x', name: 'x', status: 'active' as const, allowedModes: ['ed25519' as const], createdAt: 0, updatedAt: 0 },
};
const store = { findKey: async () => record } as unknown as CredentialStore;
const keys = new KeyCache({ store, clock: systemClock, size: 10, ttlMs: 3_600_000, negativeTtlMs: 1000 });
const verify = createVerifier({
  config: { publicOrigin: origin, audience: origin, maxTokenLifetimeSeconds: 300, clockSkewSeconds: 60 },
  keys,
  replay: new MemoryReplayStore({ clock: systemClock, capacity: 10_000_000 }),
  clock: systemClock,
});
const keyObject = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: encodeBase64url(pair.publicKey) }, format: 'jwk' });
const empty = new Uint8Array(0);

let t = process.hrtime.bigint();
for (const token of tokens) {
  const dot = token.lastIndexOf('.');
  if (!verifySignature(null, Buffer.from(token.slice(0, dot)), keyObject, Buffer.from(token.slice(dot + 1), 'base64url'))) throw new Error('floor failed');
}
const floorNs = Number(process.hrtime.bigint() - t) / count;
t = process.hrtime.bigint();
for (const token of tokens) {
  await verify({ method: 'GET', target: '/v1/whoami', authorization: `Signet ${token}`, body: empty });
}
const signetNs = Number(process.hrtime.bigint() - t) / count;
console.log(`Node ${process.version} (OpenSSL ${process.versions.openssl})`);
console.log(`crypto.verify alone: ${(floorNs / 1000).toFixed(1)} µs/token`);
console.log(`Signet verifier:     ${(signetNs / 1000).toFixed(1)} µs/token (overhead ${((signetNs - floorNs) / 1000).toFixed(1)} µs, ratio ${(floorNs / signetNs).toFixed(2)})`);
