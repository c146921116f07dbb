import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/clock.js';
import { silentLogger } from '../../../src/server/logger.js';
import { UsageRecorder } from '../../../src/server/usage/recorder.js';
import type { UsageRecord } from '../../../src/server/usage/rollup.js';
import type { UsageRollup, UsageStore } from '../../../src/store/types.js';
import { signRequest } from '../../../src/client/sign.js';
import { startHarness, T0, type Harness } from '../../helpers/harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const rows = (harness: Harness, granularity = 'minute') => harness.db('usage_rollups').where({ granularity }).orderBy(['route', 'status']);

describe('usage recording over HTTP', () => {
  it('records every authenticated request, concurrent ones included, by route template, status and key', async () => {
    h = await startHarness();
    const c = await h.addConsumer();
    const kid = c.kid;
    await Promise.all([
      ...Array.from({ length: 40 }, () => h!.send({ method: 'GET', path: '/v1/whoami', ...c })),
      ...Array.from({ length: 10 }, () => h!.send({ method: 'POST', path: '/v1/echo', body: 'hello', ...c })),
      ...Array.from({ length: 5 }, () => h!.send({ method: 'POST', path: `/v1/keys/key_${'x'.repeat(22)}/revoke`, ...c })),
      // Not authenticated: not usage (but metrics and logs still see it).
      h.send({ method: 'GET', path: '/v1/whoami' }),
    ]);
    await h.signet.server.usage.flush();
    const minute = await rows(h);
    expect(minute.map((r) => [r.route, r.method, r.status, Number(r.requests)])).toEqual([
      ['/v1/echo', 'POST', 200, 10],
      ['/v1/keys/:kid/revoke', 'POST', 403, 5],
      ['/v1/whoami', 'GET', 200, 40],
    ]);
    for (const row of minute) {
      expect(row).toMatchObject({ consumer_id: c.record.consumer.id, key_id: kid, mode: 'ed25519', bucket_start: T0 });
      expect(Number(row.latency_ms_max)).toBeGreaterThanOrEqual(Number(row.latency_ms_sum) / Number(row.requests));
    }
    expect(Number(minute[0]!.bytes_in)).toBe(50);
    expect(Number(minute[2]!.bytes_out)).toBeGreaterThan(40 * 50);
    const hours = await rows(h, 'hour');
    const days = await rows(h, 'day');
    expect(hours.map((r) => Number(r.requests))).toEqual([10, 5, 40]);
    expect(days.map((r) => Number(r.requests))).toEqual([10, 5, 40]);
  });

  it('records rate-limited refusals as 429s of their consumer', async () => {
    const { buildPlans } = await import('../../../src/plans.js');
    h = await startHarness({ plans: buildPlans({ one: { windows: [{ name: 'per_second', limit: 1, window: '1s' }] } }), defaultPlan: 'one' });
    const c = await h.addConsumer();
    await h.send({ method: 'GET', path: '/v1/whoami', ...c });
    await h.send({ method: 'GET', path: '/v1/whoami', ...c });
    await h.signet.server.usage.flush();
    expect((await rows(h)).map((r) => [r.status, Number(r.requests), r.consumer_id])).toEqual([
      [200, 1, c.record.consumer.id],
      [429, 1, c.record.consumer.id],
    ]);
  });

  it('writes what is buffered when the app closes', async () => {
    h = await startHarness();
    const c = await h.addConsumer();
    for (let i = 0; i < 3; i++) await h.send({ method: 'GET', path: '/v1/whoami', ...c });
    expect(h.signet.server.usage.health().buffered).toBe(3);
    expect(await rows(h)).toEqual([]);
    await h.signet.close();
    expect(h.signet.server.usage.health().buffered).toBe(0);
    expect((await rows(h)).map((r) => Number(r.requests))).toEqual([3]);
  });

  it('flushes by itself once the batch size is reached', async () => {
    h = await startHarness({ usageBatchSize: 4 });
    const c = await h.addConsumer();
    for (let i = 0; i < 4; i++) await h.send({ method: 'GET', path: '/v1/whoami', ...c });
    await h.signet.server.usage.flush(); // waits for the flush the fourth record started
    expect((await rows(h)).map((r) => Number(r.requests))).toEqual([4]);
  });

  it('drops records when the buffer is full, counts them, and shows them in /readyz and /metrics', async () => {
    h = await startHarness({ usageBufferSize: 5, usageBatchSize: 1000 });
    const c = await h.addConsumer();
    for (let i = 0; i < 8; i++) expect((await h.send({ method: 'GET', path: '/v1/whoami', ...c })).status).toBe(200);
    expect(h.signet.server.usage.health()).toEqual({ recording: true, buffered: 5, dropped: { buffer_full: 3, write_failed: 0 } });
    const ready = await (await fetch(h.baseUrl + '/readyz')).json();
    expect(ready.usage).toEqual({ recording: true, buffered: 5, dropped: { buffer_full: 3, write_failed: 0 } });
    const metrics = await (await fetch(h.baseUrl + '/metrics')).text();
    expect(metrics).toContain('signet_usage_records_dropped_total{reason="buffer_full"} 3');
    expect(metrics).toContain('signet_usage_buffer_records 5');
  });

  it('records nothing when usage is turned off', async () => {
    h = await startHarness({ usageEnabled: false });
    const c = await h.addConsumer();
    await h.send({ method: 'GET', path: '/v1/whoami', ...c });
    await h.signet.close();
    expect(await rows(h)).toEqual([]);
  });
});

describe('the usage API', () => {
  it('GET /v1/usage: own traffic per bucket and status class, and the current limit state', async () => {
    const { buildPlans } = await import('../../../src/plans.js');
    h = await startHarness({ plans: buildPlans({ small: { windows: [{ name: 'per_hour', limit: 100, window: '1h' }] } }) });
    const me = await h.addConsumer('me');
    const other = await h.addConsumer('other');
    await h.stores.credentials.updateConsumer(me.record.consumer.id, { plan: 'small' }, h.clock.now());
    h.signet.keyCache.invalidateConsumer(me.record.consumer.id);
    h.clock.set(T0 + 10 * 60_000);
    for (let i = 0; i < 3; i++) await h.send({ method: 'GET', path: '/v1/whoami', ...me });
    await h.send({ method: 'GET', path: '/v1/keys', ...me }); // 403
    await h.send({ method: 'GET', path: '/v1/whoami', ...other });
    h.clock.set(T0 + 70 * 60_000);
    await h.send({ method: 'GET', path: '/v1/whoami', ...me });

    const response = await h.send({ method: 'GET', path: '/v1/usage?granularity=hour&from=2026-01-01T00:00:00Z&to=2026-01-01T02:00:00Z', ...me });
    expect(response.status).toBe(200);
    const usage = await response.json();
    expect(usage).toMatchObject({
      consumer_id: me.record.consumer.id,
      granularity: 'hour',
      from: '2026-01-01T00:00:00.000Z',
      to: '2026-01-01T02:00:00.000Z',
      recording: true,
      totals: { requests: 5, by_status_class: { '2xx': 4, '4xx': 1 } },
      limits: { plan: 'small', overridden: false, unlimited: false, windows: [{ name: 'per_hour', limit: 100, window: '1h', window_seconds: 3600 }] },
    });
    // This very request counts against the limit (1 earlier in this hour + itself).
    expect(usage.limits.windows[0].remaining).toBe(98);
    expect(usage.buckets.map((b: { start: string; requests: number }) => [b.start, b.requests])).toEqual([
      ['2026-01-01T00:00:00.000Z', 4],
      ['2026-01-01T01:00:00.000Z', 1],
    ]);
    const grouped = await (await h.send({ method: 'GET', path: '/v1/usage?granularity=day&group_by=route', ...me })).json();
    // The first GET /v1/usage is itself usage by now.
    expect(grouped.groups.map((g: { route: string; requests: number }) => `${g.route} ${g.requests}`).sort()).toEqual(['/v1/keys 1', '/v1/usage 1', '/v1/whoami 4']);
    expect(grouped.groups[0]).toMatchObject({ route: '/v1/whoami', requests: 4 });
  });

  it('GET /admin/v1/usage: every consumer, filtered and grouped; needs the admin scope', async () => {
    h = await startHarness();
    const admin = await h.addAdmin();
    const a = await h.addConsumer('a');
    const b = await h.addConsumer('b');
    for (let i = 0; i < 4; i++) await h.send({ method: 'GET', path: '/v1/whoami', ...a });
    for (let i = 0; i < 2; i++) await h.send({ method: 'POST', path: '/v1/echo', body: 'x', ...b });
    await h.send({ method: 'GET', path: '/v1/keys', ...b });
    const get = async (query: string) => {
      const response = await h!.send({ method: 'GET', path: `/admin/v1/usage${query}`, ...admin });
      return { status: response.status, body: await response.json() };
    };
    const byConsumer = await get('?granularity=minute&group_by=consumer');
    expect(byConsumer.status).toBe(200);
    expect(byConsumer.body.buckets).toHaveLength(60);
    expect(byConsumer.body.groups.map((g: { consumer: string; requests: number }) => [g.consumer, g.requests])).toEqual([
      [a.record.consumer.id, 4],
      [b.record.consumer.id, 3],
    ]);
    const onlyB = await get(`?consumer=${b.record.consumer.id}&status_class=4xx&granularity=minute`);
    expect(onlyB.body.totals).toMatchObject({ requests: 1, by_status_class: { '4xx': 1 } });
    const byKey = await get(`?granularity=day&group_by=key&route=${encodeURIComponent('/v1/echo')}`);
    expect(byKey.body.groups).toEqual([expect.objectContaining({ key: b.kid, requests: 2, bytes_in: 2 })]);
    expect((await h.send({ method: 'GET', path: '/admin/v1/usage', ...a })).status).toBe(403);
  });

  it('splits every bucket and the totals by request format: a JWS and an RFC 9421 request each under its own', async () => {
    h = await startHarness();
    const me = await h.addConsumer('me');
    const key = { type: 'ed25519' as const, privateKey: me.pair.privateKey };
    const input = { method: 'GET', url: h.origin + '/v1/whoami', key, kid: me.kid, now: h.clock.now() };
    const jws = await signRequest(input);
    expect((await fetch(h.baseUrl + '/v1/whoami', { headers: { Authorization: jws.authorization } })).status).toBe(200);
    const rfc9421 = await signRequest(input, { format: 'rfc9421' });
    expect((await fetch(h.baseUrl + '/v1/whoami', { headers: rfc9421.headers })).status).toBe(200);

    const usage = await (await h.send({ method: 'GET', path: '/v1/usage?granularity=minute&from=2026-01-01T00:00:00Z&to=2026-01-01T00:02:00Z', ...me })).json();
    expect(usage.totals).toMatchObject({ requests: 2, by_status_class: { '2xx': 2 }, by_format: { jws: 1, rfc9421: 1 } });
    expect(usage.buckets.map((b: { requests: number; by_format: object }) => [b.requests, b.by_format])).toEqual([
      [2, { jws: 1, rfc9421: 1 }],
      [0, {}],
    ]);
    const rows = await h.db('usage_rollups').where({ granularity: 'day', route: '/v1/whoami' }).orderBy('format');
    expect(rows.map((r) => [r.format, Number(r.requests)])).toEqual([
      ['jws', 1],
      ['rfc9421', 1],
    ]);
  });

  it('refuses spans of too many buckets and bad parameters with field paths', async () => {
    h = await startHarness();
    const admin = await h.addAdmin();
    const tooMany = await h.send({ method: 'GET', path: '/admin/v1/usage?granularity=minute&from=2025-01-01T00:00:00Z', ...admin });
    expect(tooMany.status).toBe(400);
    expect((await tooMany.json()).errors[0].path).toBe('granularity');
    const backwards = await h.send({ method: 'GET', path: '/admin/v1/usage?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z', ...admin });
    expect((await backwards.json()).errors[0].path).toBe('from');
    const unknown = await h.send({ method: 'GET', path: '/admin/v1/usage?group_by=colour', ...admin });
    expect(unknown.status).toBe(400);
    const consumerFilterForSelf = await h.send({ method: 'GET', path: '/v1/usage?consumer=con_someone', ...admin });
    expect(consumerFilterForSelf.status).toBe(400);
  });
});

describe('the usage recorder', () => {
  const record = (at: number, overrides: Partial<UsageRecord> = {}): UsageRecord => ({
    at,
    consumerId: 'con_a',
    keyId: 'key_a',
    mode: 'ed25519',
    format: 'jws',
    method: 'GET',
    route: '/v1/whoami',
    status: 200,
    latencyMs: 1,
    bytesIn: 0,
    bytesOut: 10,
    ...overrides,
  });

  class FakeStore implements UsageStore {
    writes: Array<{ rows: UsageRollup[]; deleteBefore: unknown }> = [];
    failNext = 0;
    async write(rows: readonly UsageRollup[], deleteBefore?: unknown) {
      if (this.failNext > 0) {
        this.failNext--;
        throw new Error('database is locked');
      }
      this.writes.push({ rows: [...rows], deleteBefore });
    }
    async query(): Promise<never> {
      throw new Error('unused');
    }
  }

  const recorder = (store: UsageStore, clock = new ManualClock(T0), onDrop?: (reason: string, n: number) => void) =>
    new UsageRecorder({
      store,
      clock,
      logger: silentLogger(),
      enabled: true,
      bufferSize: 100,
      batchSize: 100,
      flushMs: 1000,
      retentionDays: { minute: 2, hour: 35, day: 400 },
      ...(onDrop ? { onDrop } : {}),
    });

  it('writes one batch per flush, summed per bucket, in minute, hour and day rows', async () => {
    const store = new FakeStore();
    const r = recorder(store);
    r.record(record(T0 + 1000, { latencyMs: 3 }));
    r.record(record(T0 + 2000, { latencyMs: 5 }));
    r.record(record(T0 + 61_000));
    await r.flush();
    expect(store.writes).toHaveLength(1);
    const written = store.writes[0]!.rows;
    expect(written.filter((w) => w.granularity === 'minute').map((w) => [w.bucketStart - T0, w.requests, w.latencyMsSum, w.latencyMsMax])).toEqual([
      [0, 2, 8, 5],
      [60_000, 1, 1, 1],
    ]);
    expect(written.filter((w) => w.granularity === 'hour').map((w) => w.requests)).toEqual([3]);
    expect(written.filter((w) => w.granularity === 'day').map((w) => w.requests)).toEqual([3]);
  });

  it('deletes old roll-ups at most every ten minutes, with a cut-off per granularity', async () => {
    const store = new FakeStore();
    const clock = new ManualClock(T0);
    const r = recorder(store, clock);
    await r.flush();
    expect(store.writes[0]!.deleteBefore).toEqual({ minute: T0 - 2 * 86_400_000, hour: T0 - 35 * 86_400_000, day: T0 - 400 * 86_400_000 });
    r.record(record(T0));
    clock.advance(60_000);
    await r.flush();
    expect(store.writes[1]!.deleteBefore).toBeUndefined();
    clock.advance(10 * 60_000);
    await r.flush();
    expect(store.writes[2]!.deleteBefore).toBeDefined();
  });

  it('carries the rows of a failed write into the next flush once, then drops and counts them', async () => {
    const store = new FakeStore();
    const drops: Array<[string, number]> = [];
    const r = recorder(store, new ManualClock(T0), (reason, n) => drops.push([reason, n]));
    await r.flush(); // the first flush prunes; get it out of the way
    store.failNext = 1;
    r.record(record(T0));
    r.record(record(T0));
    await r.flush();
    r.record(record(T0));
    await r.flush();
    expect(store.writes[1]!.rows.find((w) => w.granularity === 'minute')!.requests).toBe(3);
    store.failNext = 2;
    r.record(record(T0));
    await r.flush();
    await r.flush();
    expect(drops).toEqual([['write_failed', 1]]);
    expect(r.health().dropped).toEqual({ buffer_full: 0, write_failed: 1 });
  });
});
