import { afterEach, describe, expect, it } from 'vitest';
import { buildPlans, type RateLimitOverride } from '../../../src/plans.js';
import { startHarness, T0, type Harness } from '../../helpers/harness.js';
import { rawBurst } from '../../helpers/raw-http.js';
import { dropRedisPrefix, redisTestPrefix, servicesAvailable } from '../../helpers/services.js';
import { REDIS_URL } from '../../helpers/test-env.js';

const PLANS = buildPlans({
  tiny: {
    windows: [
      { name: 'per_second', limit: 3, window: '1s' },
      { name: 'per_minute', limit: 5, window: '1m' },
    ],
  },
  burst: { windows: [{ name: 'per_second', limit: 10, window: '1s' }] },
  monthly: { windows: [{ name: 'per_month', limit: 2, window: 'month' }] },
});

let h: Harness;
afterEach(async () => h?.close());

/** A consumer on `plan`, changed the way the admin API changes it (store write, then cache drop). */
async function consumerOn(plan: string | null, overrides: RateLimitOverride[] | null = null, scopes: string[] = []) {
  const c = await h.addConsumer(`on-${plan}`, { scopes });
  await h.stores.credentials.updateConsumer(c.record.consumer.id, { plan, rateLimitOverrides: overrides }, h.clock.now());
  h.signet.keyCache.invalidateConsumer(c.record.consumer.id);
  return c;
}

/** A signed-looking request whose token is garbage, sent whole (body included) so that the body is read before verification. */
const BAD_TOKEN_POST = 'POST /v1/echo HTTP/1.1\r\nHost: x\r\nAuthorization: Signet not.a.token\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc';

const whoami = (who: { pair: any; kid: string }) => h.send({ method: 'GET', path: '/v1/whoami', ...who });

/** A replayed token spends none of its consumer's limit: the replay check and the counting are one store call that counts only fresh tokens. */
async function expectReplaysSpendNothing(): Promise<void> {
  const c = await consumerOn('tiny');
  const token = await h.sign({ method: 'GET', path: '/v1/whoami', pair: c.pair, kid: c.kid });
  const send = () => fetch(h.baseUrl + '/v1/whoami', { headers: { Authorization: token } });
  const first = await send();
  expect(first.status).toBe(200);
  expect(first.headers.get('ratelimit')).toBe('"per_second";r=2;t=1, "per_minute";r=4;t=60');
  for (let i = 0; i < 4; i++) expect((await send()).status).toBe(401);
  const fresh = await whoami(c);
  expect(fresh.status).toBe(200);
  expect(fresh.headers.get('ratelimit')).toBe('"per_second";r=1;t=1, "per_minute";r=3;t=60');
}

describe('per-consumer rate limits', () => {
  it('admits the limit of every window, then answers 429 naming the plan and window, with Retry-After and both headers', async () => {
    h = await startHarness({ plans: PLANS });
    const c = await consumerOn('tiny');
    const remaining: Array<string | null> = [];
    for (let i = 0; i < 3; i++) {
      const ok = await whoami(c);
      expect(ok.status).toBe(200);
      expect(ok.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(ok.headers.get('ratelimit-policy')).toBe('"per_second";q=3;w=1, "per_minute";q=5;w=60');
      remaining.push(ok.headers.get('ratelimit'));
    }
    expect(remaining).toEqual(['"per_second";r=2;t=1, "per_minute";r=4;t=60', '"per_second";r=1;t=1, "per_minute";r=3;t=60', '"per_second";r=0;t=1, "per_minute";r=2;t=60']);

    const refused = await whoami(c);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    // The refusal gave its unit back: the minute window still has 2 left.
    expect(refused.headers.get('ratelimit')).toBe('"per_second";r=0;t=1, "per_minute";r=2;t=60');
    expect(refused.headers.get('ratelimit-policy')).toBe('"per_second";q=3;w=1, "per_minute";q=5;w=60');
    const body = await refused.json();
    expect(body).toMatchObject({ code: 'rate_limited', status: 429, plan: 'tiny', policy: 'per_second', limit: 3, window_seconds: 1, retry_after: 1, exhausted: ['per_second'] });
    expect(body.detail).toContain('"per_second" of plan "tiny"');
  });

  it('starts a window afresh when the clock enters the next one, and refuses by the longer window once it is used up', async () => {
    h = await startHarness({ plans: PLANS });
    const c = await consumerOn('tiny');
    for (let i = 0; i < 3; i++) expect((await whoami(c)).status).toBe(200);
    expect((await whoami(c)).status).toBe(429);
    h.clock.advance(1000);
    expect((await whoami(c)).status).toBe(200);
    expect((await whoami(c)).status).toBe(200);
    h.clock.advance(1500);
    const refused = await whoami(c);
    expect(refused.status).toBe(429);
    // 2.5 s into the minute window: 57.5 s left, rounded up.
    expect(refused.headers.get('retry-after')).toBe('58');
    expect(await refused.json()).toMatchObject({ policy: 'per_minute', limit: 5, window_seconds: 60, retry_after: 58 });
    h.clock.set(T0 + 60_000);
    expect((await whoami(c)).status).toBe(200);
  });

  it('applies the built-in standard plan: 5 per second and 5000 per day', async () => {
    h = await startHarness();
    const c = await consumerOn('standard');
    for (let i = 0; i < 5; i++) expect((await whoami(c)).status).toBe(200);
    const refused = await whoami(c);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('ratelimit-policy')).toBe('"per_second";q=5;w=1, "per_day";q=5000;w=86400');
    expect(refused.headers.get('ratelimit')).toBe('"per_second";r=0;t=1, "per_day";r=4995;t=86400');
  });

  it('uses calendar months for a monthly quota', async () => {
    h = await startHarness({ plans: PLANS });
    h.clock.set(Date.UTC(2026, 1, 10)); // 10 February: 19 days of a 28-day month left
    const c = await consumerOn('monthly');
    expect((await whoami(c)).headers.get('ratelimit-policy')).toBe(`"per_month";q=2;w=${28 * 86400}`);
    expect((await whoami(c)).status).toBe(200);
    const refused = await whoami(c);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe(String(19 * 86400));
    h.clock.set(Date.UTC(2026, 2, 1));
    const march = await whoami(c);
    expect(march.status).toBe(200);
    expect(march.headers.get('ratelimit')).toBe(`"per_month";r=1;t=${31 * 86400}`);
  });

  it('shares the limits between all keys of a consumer', async () => {
    h = await startHarness({ plans: PLANS });
    const c = await consumerOn('tiny');
    const { generateKeyPair } = await import('../../../src/client/keys.js');
    const { jwkThumbprint } = await import('../../../src/protocol/public-key.js');
    const { newKeyId } = await import('../../../src/protocol/ids.js');
    const pair = await generateKeyPair();
    const kid = newKeyId();
    await h.stores.credentials.insertKey({ id: kid, consumerId: c.record.consumer.id, type: 'ed25519', publicKey: pair.publicKey, thumbprint: await jwkThumbprint(pair.publicKey) }, h.clock.now());
    expect((await whoami(c)).status).toBe(200);
    expect((await whoami({ pair, kid })).status).toBe(200);
    expect((await whoami(c)).status).toBe(200);
    expect((await whoami({ pair, kid })).status).toBe(429);
  });

  it('spends none of the limit on replayed tokens', async () => {
    h = await startHarness({ plans: PLANS });
    await expectReplaysSpendNothing();
  });

  it('lets exactly the limit through when many requests arrive at once', async () => {
    h = await startHarness({ plans: PLANS });
    const c = await consumerOn('burst');
    const statuses = await Promise.all(Array.from({ length: 30 }, () => whoami(c).then((r) => r.status)));
    expect(statuses.filter((s) => s === 200)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(20);
  });

  it('puts the headers on authenticated error responses too, and none on an unlimited plan', async () => {
    h = await startHarness({ plans: PLANS });
    const limited = await consumerOn('tiny');
    const forbidden = await h.send({ method: 'GET', path: '/v1/keys', ...limited });
    expect(forbidden.status).toBe(403);
    expect(forbidden.headers.get('ratelimit')).toBe('"per_second";r=2;t=1, "per_minute";r=4;t=60');
    const unlimited = await consumerOn(null);
    const ok = await whoami(unlimited);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('ratelimit')).toBeNull();
    expect(ok.headers.get('ratelimit-policy')).toBeNull();
  });

  it('applies a plan that vanished from the configuration as the default plan', async () => {
    h = await startHarness({ plans: PLANS, defaultPlan: 'tiny' });
    const c = await consumerOn('vanished');
    const ok = await whoami(c);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('ratelimit-policy')).toBe('"per_second";q=3;w=1, "per_minute";q=5;w=60');
  });
});

describe('plans and overrides through the admin API', () => {
  async function asAdmin(admin: { pair: any; kid: string }, method: string, path: string, json?: unknown) {
    const response = await h.send({ method, path, json, ...admin });
    return { status: response.status, body: response.status === 204 ? undefined : await response.json() };
  }

  it('assigns a plan with per-consumer overrides: same name replaces, new name adds, null limit removes', async () => {
    h = await startHarness({ plans: PLANS });
    const admin = await h.addAdmin();
    const c = await h.addConsumer('customer');
    const id = c.record.consumer.id;
    const patched = await asAdmin(admin, 'PATCH', `/admin/v1/consumers/${id}`, {
      plan: 'standard',
      rate_limits: [
        { name: 'per_second', limit: 2, window: '1s' },
        { name: 'per_day', limit: null, window: '1d' },
        { name: 'per_hour', limit: 100, window: '1h' },
      ],
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      plan: 'standard',
      rate_limits: [
        { name: 'per_second', limit: 2, window: '1s' },
        { name: 'per_day', limit: null, window: '1d' },
        { name: 'per_hour', limit: 100, window: '1h' },
      ],
    });
    const first = await whoami(c);
    expect(first.headers.get('ratelimit-policy')).toBe('"per_second";q=2;w=1, "per_hour";q=100;w=3600');
    expect((await whoami(c)).status).toBe(200);
    expect((await whoami(c)).status).toBe(429);

    const cleared = await asAdmin(admin, 'PATCH', `/admin/v1/consumers/${id}`, { rate_limits: null });
    expect(cleared.body).toMatchObject({ plan: 'standard', rate_limits: null });
    h.clock.advance(1000);
    expect((await whoami(c)).headers.get('ratelimit-policy')).toBe('"per_second";q=5;w=1, "per_day";q=5000;w=86400');
  });

  it('refuses an unknown plan and malformed overrides as invalid_request naming the field', async () => {
    h = await startHarness({ plans: PLANS });
    const admin = await h.addAdmin();
    const unknown = await asAdmin(admin, 'POST', '/admin/v1/consumers', { name: 'x', plan: 'gold' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors).toEqual([{ path: 'plan', message: expect.stringContaining('Unknown plan "gold"') }]);
    expect(unknown.body.errors[0].message).toContain('standard');
    const badWindow = await asAdmin(admin, 'POST', '/admin/v1/consumers', { name: 'x', rate_limits: [{ name: 'w', limit: 1, window: '5 minutes' }] });
    expect(badWindow.status).toBe(400);
    expect(badWindow.body.errors[0].path).toBe('rate_limits.0.window');
    const repeated = await asAdmin(admin, 'POST', '/admin/v1/consumers', {
      name: 'x',
      rate_limits: [
        { name: 'w', limit: 1, window: '1s' },
        { name: 'w', limit: 2, window: '1m' },
      ],
    });
    expect(repeated.status).toBe(400);
    const created = await asAdmin(admin, 'POST', '/admin/v1/consumers', { name: 'x', plan: 'free', rate_limits: [{ name: 'per_15min', limit: 500, window: '15m' }] });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ plan: 'free', rate_limits: [{ name: 'per_15min', limit: 500, window: '15m' }] });
  });

  it('lists the configured plans and the default plan', async () => {
    h = await startHarness({ plans: PLANS });
    const admin = await h.addAdmin();
    const listed = await asAdmin(admin, 'GET', '/admin/v1/plans');
    expect(listed.status).toBe(200);
    expect(listed.body.default_plan).toBe('internal');
    const byName = Object.fromEntries(listed.body.plans.map((p: { name: string }) => [p.name, p]));
    expect(byName.internal).toMatchObject({ unlimited: true, windows: [] });
    expect(byName.standard.windows).toEqual([
      { name: 'per_second', limit: 5, window: '1s' },
      { name: 'per_day', limit: 5000, window: '1d' },
    ]);
    expect(byName.monthly.windows).toEqual([{ name: 'per_month', limit: 2, window: 'month' }]);
  });
});

describe('the per-address limit on authentication failures', () => {
  it('turns an address away with 429 before verifying anything once it has failed too often, until the window ends', async () => {
    h = await startHarness({ authFailureLimit: 3, authFailureWindowSeconds: 60 });
    const c = await h.addConsumer();
    for (let i = 0; i < 3; i++) {
      const bad = await h.send({ method: 'GET', path: '/v1/whoami', headers: { Authorization: 'Signet not.a.token' } });
      expect(bad.status).toBe(401);
    }
    const replayEntries = h.stores.replay.size();
    const turnedAway = await whoami(c);
    expect(turnedAway.status).toBe(429);
    expect(turnedAway.headers.get('retry-after')).toBe('60');
    expect(turnedAway.headers.get('ratelimit-policy')).toBe('"auth_failures";q=3;w=60');
    expect(await turnedAway.json()).toMatchObject({ code: 'rate_limited', policy: 'auth_failures', limit: 3, window_seconds: 60, retry_after: 60 });
    // The valid token was never verified: its jti did not reach the replay store.
    expect(h.stores.replay.size()).toBe(replayEntries);
    expect((await fetch(h.baseUrl + '/healthz')).status).toBe(200);
    h.clock.advance(60_000);
    expect((await whoami(c)).status).toBe(200);
  });

  it('counts only 401s: successes and other refusals leave the address alone', async () => {
    h = await startHarness({ authFailureLimit: 2 });
    const c = await h.addConsumer();
    for (let i = 0; i < 5; i++) {
      expect((await whoami(c)).status).toBe(200);
      expect((await h.send({ method: 'GET', path: '/v1/keys', ...c })).status).toBe(403);
      expect((await fetch(h.baseUrl + '/v1/nowhere')).status).toBe(404);
    }
    expect((await h.send({ method: 'GET', path: '/v1/whoami' })).status).toBe(401);
    expect((await whoami(c)).status).toBe(200);
  });

  it('counts a concurrent burst atomically: of 150 bad tokens sent at once with a limit of 20, exactly 20 are answered 401', async () => {
    h = await startHarness({ authFailureLimit: 20, authFailureWindowSeconds: 60 });
    const statuses = await rawBurst(
      h.baseUrl,
      Array.from({ length: 150 }, () => BAD_TOKEN_POST),
    );
    expect(statuses.filter((status) => status === 401)).toHaveLength(20);
    expect(statuses.filter((status) => status === 429)).toHaveLength(130);
  });
});

const redisReady = servicesAvailable('the failure limit on Redis', { redis: true });

describe.skipIf(!redisReady)('the per-address limit on authentication failures, counted in Redis', () => {
  it('spends none of a consumer limit on replayed tokens, counted in the replay check’s own script', async () => {
    const prefix = redisTestPrefix('replay-count');
    try {
      h = await startHarness({ plans: PLANS, redisUrl: REDIS_URL, redisPrefix: prefix });
      await expectReplaysSpendNothing();
    } finally {
      await dropRedisPrefix(REDIS_URL!, prefix);
    }
  });

  it('counts a concurrent burst atomically: of 150 bad tokens sent at once with a limit of 20, exactly 20 are answered 401', async () => {
    const prefix = redisTestPrefix('gate');
    try {
      h = await startHarness({ authFailureLimit: 20, authFailureWindowSeconds: 60, redisUrl: REDIS_URL, redisPrefix: prefix });
      const statuses = await rawBurst(
        h.baseUrl,
        Array.from({ length: 150 }, () => BAD_TOKEN_POST),
      );
      expect(statuses.filter((status) => status === 401)).toHaveLength(20);
      expect(statuses.filter((status) => status === 429)).toHaveLength(130);
    } finally {
      await dropRedisPrefix(REDIS_URL!, prefix);
    }
  });
});
