import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Verdict } from '../../src/adapters/verify-request.js';
import { CLOCK_SKEW, windowStartClock } from '../helpers/from-address.js';
import { dropRedisPrefix, redisTestPrefix, servicesAvailable } from '../helpers/services.js';
import { REDIS_URL } from '../helpers/test-env.js';
import { startEmbedded, type Embedded, type EmbeddedConsumer } from '../helpers/embedded.js';

describe("createSignet's framework-free verifyRequest behind the per-address failure gate", () => {
  const LIMIT = 2;
  let embedded: Embedded;
  let reader: EmbeddedConsumer;

  beforeAll(async () => {
    embedded = await startEmbedded({ authFailureLimit: LIMIT, authFailureWindowSeconds: 60, clockSkewSeconds: CLOCK_SKEW }, windowStartClock());
    reader = await embedded.addConsumer({ name: 'reader' });
  });
  afterAll(async () => embedded?.close());

  const statusOf = (verdict: Verdict) => (verdict.ok ? 200 : verdict.status);
  const verify = async (clientAddress: string | undefined, authorization?: string) =>
    embedded.signet.verifyRequest({
      method: 'GET',
      url: '/reports',
      headers: { authorization: authorization ?? (await reader.sign('GET', '/reports')) },
      ...(clientAddress !== undefined ? { clientAddress } : {}),
    });

  it('refuses a valid request from an address that failed too often with the 429 serve answers, and serves another address', async () => {
    for (let i = 0; i < LIMIT; i += 1) expect(statusOf(await verify('192.0.2.1', 'Signet not.a.token'))).toBe(401);
    const refused = await verify('192.0.2.1');
    expect(refused.ok).toBe(false);
    if (refused.ok) return;
    expect(refused.status).toBe(429);
    expect(refused.headers).toMatchObject({ 'Retry-After': '60', 'RateLimit-Policy': `"auth_failures";q=${LIMIT};w=60`, 'Content-Type': 'application/problem+json' });
    expect(refused.body).toMatchObject({ code: 'rate_limited', policy: 'auth_failures', limit: LIMIT, window_seconds: 60, retry_after: 60 });
    expect((await verify('192.0.2.2')).ok).toBe(true);
  });

  it('counts an IPv6 client by its /64, as serve does', async () => {
    for (let i = 0; i < LIMIT; i += 1) expect(statusOf(await verify(`2001:db8:1:2::${i + 1}`, 'Signet not.a.token'))).toBe(401);
    expect(statusOf(await verify('2001:db8:1:2::ff'))).toBe(429);
    expect((await verify('2001:db8:1:3::1')).ok).toBe(true);
  });

  it('gives a successful or otherwise refused request its slot back: only 401s count', async () => {
    for (let i = 0; i < LIMIT * 3; i += 1) expect((await verify('192.0.2.3')).ok).toBe(true);
    const tooBig = await embedded.signet.verifyRequest({ method: 'POST', url: '/reports', headers: {}, body: 'x'.repeat(embedded.signet.config.bodyLimitBytes + 1), clientAddress: '192.0.2.3' });
    expect(statusOf(tooBig)).toBe(413);
    expect((await verify('192.0.2.3')).ok).toBe(true);
  });
});

describe("createSignet's verifyRequest and the metrics", () => {
  it('counts an answered request by its format and mode, as serve does', async () => {
    const embedded = await startEmbedded({ metricsEnabled: true });
    try {
      const reader = await embedded.addConsumer({ name: 'reader' });
      const metrics = embedded.signet.server.metrics!;
      const count = async () => (await metrics.formats.get()).values.find((v) => v.labels.format === 'jws' && v.labels.mode === 'ed25519')?.value ?? 0;
      const before = await count();
      const verdict = await embedded.signet.verifyRequest({ method: 'GET', url: '/reports', headers: { authorization: await reader.sign('GET', '/reports') } });
      expect(verdict.ok).toBe(true);
      if (!verdict.ok) return;
      verdict.finish({ status: 200, bytesOut: 2 });
      expect(await count()).toBe(before + 1);
    } finally {
      await embedded.close();
    }
  });
});

const redisReady = servicesAvailable('the failure gate of verifyRequest on Redis', { redis: true });

describe.skipIf(!redisReady)("createSignet's verifyRequest behind the per-address failure gate, counted in Redis", () => {
  it('refuses an address on one instance after it failed on another sharing the Redis, and serves another address', async () => {
    const LIMIT = 2;
    const prefix = redisTestPrefix('embed-gate');
    const shared = { authFailureLimit: LIMIT, authFailureWindowSeconds: 60, clockSkewSeconds: CLOCK_SKEW, redisUrl: REDIS_URL!, redisPrefix: prefix };
    const clock = windowStartClock();
    const first = await startEmbedded(shared, clock);
    const second = await startEmbedded(shared, clock);
    try {
      const reader = await second.addConsumer({ name: 'reader' });
      const ask = async (signet: Embedded['signet'], clientAddress: string, authorization?: string) =>
        signet.verifyRequest({ method: 'GET', url: '/reports', headers: { authorization: authorization ?? (await reader.sign('GET', '/reports')) }, clientAddress });
      for (let i = 0; i < LIMIT; i += 1) expect((await ask(first.signet, '192.0.2.9', 'Signet not.a.token')).ok).toBe(false);
      const refused = await ask(second.signet, '192.0.2.9');
      expect(refused.ok ? 200 : refused.status).toBe(429);
      expect(refused.ok ? undefined : refused.headers['Retry-After']).toBe('60');
      expect((await ask(second.signet, '192.0.2.10')).ok).toBe(true);
    } finally {
      await first.close();
      await second.close();
      await dropRedisPrefix(REDIS_URL!, prefix);
    }
  });
});
