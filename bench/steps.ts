/**
 * In-process cost of each step of the HMAC hot path, without sockets or Koa: parse, claims, replay
 * fingerprint, the whole verifier, rate-limit admission, usage roll-up, RateLimit header strings,
 * a metrics increment, the failure gate; and the Ed25519 verifier on the main thread against crypto.verify alone
 * (their difference is what Signet adds to a signature check). Each step runs COUNT times in a loop, five rounds; the table gives the
 * fastest round (the others show the spread). `node --import tsx bench/steps.ts [COUNT] [--cpu]`
 */
import { verify as verifySignature } from 'node:crypto';
import { systemClock } from '../src/clock.js';
import { generateKeyPair } from '../src/client/keys.js';
import { buildPlans } from '../src/plans.js';
import { parseStrictJson } from '../src/protocol/strict-json.js';
import { signRequest } from '../src/client/sign.js';
import { decodeClaims, parseToken } from '../src/protocol/token.js';
import { KeyCache } from '../src/server/key-cache.js';
import { silentLogger } from '../src/server/logger.js';
import { createMetrics } from '../src/server/metrics.js';
import { withRateLimit } from '../src/server/rate-limit/admission.js';
import { passAuthFailureGate } from '../src/server/rate-limit/auth-failure-check.js';
import { AuthFailureLimiter } from '../src/server/rate-limit/auth-failures.js';
import { setRateLimitHeaders } from '../src/server/rate-limit/headers.js';
import { RateLimiter } from '../src/server/rate-limit/limiter.js';
import { RollupBatch } from '../src/server/usage/rollup.js';
import { createVerifier } from '../src/server/verifier.js';
import { MemoryRateLimitStore } from '../src/store/memory-rate-limit-store.js';
import { MemoryReplayStore } from '../src/store/memory-replay-store.js';
import type { ConsumerRecord, CredentialStore } from '../src/store/types.js';
import { benchKeyRecord } from './key-record.js';

const count = Number(process.argv.find((arg) => /^\d+$/.test(arg)) ?? 20000);
const secret = new Uint8Array(32).fill(7);
const kid = 'key_0123456789012345678901';
const origin = 'http://127.0.0.1:3000';
const tokens: string[] = [];
for (let i = 0; i < count; i++) tokens.push((await signRequest({ method: 'GET', url: `${origin}/v1/whoami`, key: { type: 'hmac', secret }, kid, lifetimeSeconds: 300 })).token);
const pair = await generateKeyPair();
const edKid = 'key_1123456789012345678901';
const edTokens: string[] = [];
for (let i = 0; i < count; i++)
  edTokens.push((await signRequest({ method: 'GET', url: `${origin}/v1/whoami`, key: { type: 'ed25519', privateKey: pair.privateKey }, kid: edKid, lifetimeSeconds: 300 })).token);
const consumer = { id: 'con_x', name: 'x', status: 'active', createdAt: 0, updatedAt: 0, allowedModes: ['ed25519', 'hmac'], plan: 'bench', rateLimitOverrides: null } as unknown as ConsumerRecord;
const key = benchKeyRecord(kid, 'con_x', 'hmac', null);
const edKey = benchKeyRecord(edKid, 'con_x', 'ed25519', pair.publicKey);
const store = { findKey: async (id: string) => ({ key: id === edKid ? edKey : key, consumer }) } as unknown as CredentialStore;
const keys = new KeyCache({ store, clock: systemClock, size: 10, ttlMs: 3_600_000, negativeTtlMs: 1000, openHmacSecret: async () => secret });
const config = { publicOrigin: origin, audience: origin, maxTokenLifetimeSeconds: 300, clockSkewSeconds: 60 };
const newVerifier = (verifyOnThreadPool?: boolean) =>
  createVerifier({ config: { ...config, verifyOnThreadPool }, keys, replay: new MemoryReplayStore({ clock: systemClock, capacity: 10_000_000 }), clock: systemClock });
const plans = buildPlans({
  bench: {
    windows: [
      { name: 'per_second', limit: 1e9, window: '1s' },
      { name: 'per_day', limit: 1e12, window: '1d' },
    ],
  },
});
const newLimiter = () => new RateLimiter({ plans, defaultPlan: 'bench', store: new MemoryRateLimitStore(systemClock), clock: systemClock, logger: silentLogger() });
const metrics = createMetrics({ replayStoreSize: () => 0, usageBuffered: () => 0 });
const body = new Uint8Array(0);
const request = (i: number) => ({ method: 'GET', target: '/v1/whoami', authorization: `Signet ${tokens[i]}`, body });
const edRequest = (i: number) => ({ method: 'GET', target: '/v1/whoami', authorization: `Signet ${edTokens[i]}`, body });
const edKeyObject = (await keys.resolve(edKid))!.keyObject!;
const parsed = tokens.map((token) => parseToken(token));
const headerJson = Buffer.from(tokens[0]!.split('.')[0]!, 'base64url');

const rounds: Record<string, number[]> = {};
/** `--cpu` times each step by the process's CPU time rather than the wall clock: on a loaded machine the wall clock also counts the time other processes held the core. */
const byCpu = process.argv.includes('--cpu');
async function time(name: string, step: (i: number) => unknown): Promise<void> {
  const started = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  for (let i = 0; i < count; i++) {
    const result = step(i);
    if (result instanceof Promise) await result;
  }
  const used = process.cpuUsage(cpu);
  (rounds[name] ??= []).push(byCpu ? (used.user + used.system) / count : Number(process.hrtime.bigint() - started) / count / 1000);
}

for (let round = 0; round < 5; round++) {
  await time('strict JSON, token header', () => parseStrictJson(headerJson));
  await time('parseToken', (i) => parseToken(tokens[i]));
  await time('decodeClaims', (i) => decodeClaims(parsed[i]!.payload));
  const replay = new MemoryReplayStore({ clock: systemClock, capacity: 10_000_000 });
  await time('replay check-and-set', (i) => replay.checkAndSetSync(kid, parsed[i]!.signingInput.slice(-40), Date.now() + 60_000));
  const verify = newVerifier();
  await time('verifier, HMAC (all of the above and more)', (i) => verify(request(i)));
  const verifyEd = newVerifier(false);
  await time('verifier, Ed25519 on the main thread', (i) => verifyEd(edRequest(i)));
  await time('crypto.verify alone (the floor)', (i) => {
    const token = edTokens[i]!;
    const dot = token.lastIndexOf('.');
    return verifySignature(null, Buffer.from(token.slice(0, dot)), edKeyObject, Buffer.from(token.slice(dot + 1), 'base64url'));
  });
  const limiter = newLimiter();
  await time('rate-limit admission, 2 windows', () => limiter.admit(consumer));
  const admitted = withRateLimit(newVerifier(), newLimiter(), metrics);
  await time('verifier + admission + histogram', (i) => admitted(request(i)));
  const gate = new AuthFailureLimiter({ store: new MemoryRateLimitStore(systemClock), clock: systemClock, limit: 100, windowSeconds: 60 });
  await time('failure gate pass and settle, memory store', () => {
    // Awaited only when it is a promise, as the middleware's await costs the same either way.
    const passing = passAuthFailureGate(gate, '203.0.113.7');
    return passing instanceof Promise ? passing.then((passage) => passage.settle(false)) : passing.settle(false);
  });
  const batch = new RollupBatch();
  await time('usage roll-up of one record', () =>
    batch.addRecord({ at: Date.now(), consumerId: 'con_x', keyId: kid, mode: 'hmac', format: 'jws', method: 'GET', route: '/v1/whoami', status: 200, latencyMs: 0.5, bytesIn: 0, bytesOut: 100 }),
  );
  const decision = await limiter.admit(consumer);
  const sink = { set: (_field: string, _value: string) => {} };
  await time('RateLimit header strings, 2 windows', () => setRateLimitHeaders(sink, decision.windows));
  await time('metrics counter increment', () => metrics.requests.inc({ outcome: 'ok', mode: 'hmac' }));
}
const best = (name: string) => Math.min(...rounds[name]!);
rounds['Ed25519 verifier minus crypto.verify'] = [best('verifier, Ed25519 on the main thread') - best('crypto.verify alone (the floor)')];
for (const [name, times] of Object.entries(rounds)) {
  console.log(
    `${name.padEnd(44)} ${Math.min(...times)
      .toFixed(2)
      .padStart(6)} µs   (rounds: ${times.map((t) => t.toFixed(2)).join(' ')})`,
  );
}
