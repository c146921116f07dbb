import { afterEach, describe, expect, it } from 'vitest';
import { buildPlans } from '../../../src/plans.js';
import { startHarness, type Harness } from '../../helpers/harness.js';

const harnesses: Harness[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.close();
});
async function harness(overrides: Parameters<typeof startHarness>[0] = {}): Promise<Harness> {
  const h = await startHarness(overrides);
  harnesses.push(h);
  return h;
}

/** The value of one sample line, e.g. sample(text, 'signet_requests_total{outcome="ok",mode="ed25519"}'). */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('GET /metrics', () => {
  it('exposes requests by outcome and mode, verification latency, replay store size and rate-limit refusals', async () => {
    const h = await harness({ plans: buildPlans({ one: { windows: [{ name: 'per_second', limit: 1, window: '1s' }] } }) });
    const c = await h.addConsumer();
    await h.stores.credentials.updateConsumer(c.record.consumer.id, { plan: 'one' }, h.clock.now());
    h.signet.keyCache.invalidateConsumer(c.record.consumer.id);
    await h.send({ method: 'GET', path: '/v1/whoami', ...c });
    await h.send({ method: 'GET', path: '/v1/whoami', ...c });
    await h.send({ method: 'GET', path: '/v1/whoami', headers: { Authorization: 'Signet a.b.c' } });
    await h.send({ method: 'GET', path: '/v1/whoami' });

    const response = await fetch(h.baseUrl + '/metrics');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    expect(sample(text, 'signet_requests_total{outcome="ok",mode="ed25519"}')).toBe(1);
    expect(sample(text, 'signet_requests_total{outcome="rate_limited",mode="ed25519"}')).toBe(1);
    expect(sample(text, 'signet_requests_total{outcome="invalid_token",mode="none"}')).toBe(1);
    expect(sample(text, 'signet_requests_total{outcome="missing_token",mode="none"}')).toBe(1);
    expect(sample(text, 'signet_rate_limit_refusals_total{plan="one",policy="per_second"}')).toBe(1);
    // Two signatures verified (the second was then rate limited), two refused by the verifier.
    expect(sample(text, 'signet_verification_seconds_count{result="ok"}')).toBe(2);
    expect(sample(text, 'signet_verification_seconds_count{result="refused"}')).toBe(2);
    expect(sample(text, 'signet_replay_store_entries')).toBe(2);
    expect(sample(text, 'signet_usage_buffer_records')).toBe(2);
    expect(text).toContain('# TYPE signet_verification_seconds histogram');
    // The key was read from the database once (after the invalidation), the garbage kid never was.
    expect(sample(text, 'signet_key_store_read_seconds_count{result="found"}')).toBe(1);
    expect(sample(text, 'signet_key_store_read_seconds_count{result="unknown"}')).toBeUndefined();
    expect(text).toContain('signet_auth_failure_refusals_total 0');
  });

  it('counts refusals by the per-address failure limit', async () => {
    const h = await harness({ authFailureLimit: 1 });
    await h.send({ method: 'GET', path: '/v1/whoami' });
    expect((await h.send({ method: 'GET', path: '/v1/whoami' })).status).toBe(429);
    const text = await (await fetch(h.baseUrl + '/metrics')).text();
    expect(sample(text, 'signet_auth_failure_refusals_total')).toBe(1);
  });

  it('keeps one registry per app: two apps in one process count separately', async () => {
    const a = await harness();
    const b = await harness();
    const c = await a.addConsumer();
    await a.send({ method: 'GET', path: '/v1/whoami', ...c });
    expect(sample(await (await fetch(a.baseUrl + '/metrics')).text(), 'signet_requests_total{outcome="ok",mode="ed25519"}')).toBe(1);
    expect(sample(await (await fetch(b.baseUrl + '/metrics')).text(), 'signet_requests_total{outcome="ok",mode="ed25519"}')).toBeUndefined();
  });

  it('needs the bearer token when SIGNET_METRICS_TOKEN is set, and otherwise looks like any unknown path', async () => {
    const token = 'metrics-token-0123456789';
    const h = await harness({ metricsToken: token });
    const without = await fetch(h.baseUrl + '/metrics');
    expect(without.status).toBe(404);
    expect(await without.json()).toMatchObject({ code: 'not_found', detail: 'No route for GET /metrics.' });
    expect((await fetch(h.baseUrl + '/metrics', { headers: { Authorization: `Bearer ${token}x` } })).status).toBe(404);
    const withToken = await fetch(h.baseUrl + '/metrics', { headers: { Authorization: `Bearer ${token}` } });
    expect(withToken.status).toBe(200);
    expect(await withToken.text()).toContain('signet_requests_total');
  });

  it('is absent when metrics are turned off, and the app still serves', async () => {
    const h = await harness({ metricsEnabled: false });
    expect((await fetch(h.baseUrl + '/metrics')).status).toBe(404);
    const c = await h.addConsumer();
    expect((await h.send({ method: 'GET', path: '/v1/whoami', ...c })).status).toBe(200);
  });
});
