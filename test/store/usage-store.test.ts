import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KnexUsageStore, ROWS_PER_INSERT } from '../../src/store/knex-usage-store.js';
import { migrateToLatest, migrationConfig } from '../../src/store/migrations.js';
import type { UsageRollup } from '../../src/store/types.js';
import { servicesAvailable } from '../helpers/services.js';
import { openMigratedSqlite, openRolledBackPgSchema, type OpenedDb } from './lifecycle-stores.js';

const MINUTE = 60_000;
const T0 = Date.UTC(2026, 0, 1);

function rollup(overrides: Partial<UsageRollup> = {}): UsageRollup {
  return {
    granularity: 'minute',
    bucketStart: T0,
    consumerId: 'con_a',
    keyId: 'key_a',
    mode: 'ed25519',
    format: 'jws',
    method: 'GET',
    route: '/v1/whoami',
    status: 200,
    requests: 1,
    latencyMsSum: 2,
    latencyMsMax: 2,
    bytesIn: 0,
    bytesOut: 100,
    ...overrides,
  };
}

/** The same tests on every database the usage store runs on: the upsert and the status-class arithmetic are SQL. */
function usageStoreContract(name: string, open: () => Promise<OpenedDb>): void {
  describe(`the knex usage store on ${name}`, () => {
    let opened: OpenedDb;
    let store: KnexUsageStore;
    beforeEach(async () => {
      opened = await open();
      store = new KnexUsageStore(opened.db);
    });
    afterEach(async () => opened.close());

    it('sums a second write into the row with the same key and keeps the larger maximum latency', async () => {
      await store.write([rollup({ requests: 2, latencyMsSum: 10, latencyMsMax: 7, bytesOut: 50 })]);
      await store.write([rollup({ requests: 3, latencyMsSum: 6, latencyMsMax: 4, bytesOut: 20 })]);
      const series = await store.query({ granularity: 'minute', from: T0, to: T0 + MINUTE });
      expect(series.buckets).toEqual([{ bucketStart: T0, statusClass: 2, format: 'jws', requests: 5, latencyMsSum: 16, latencyMsMax: 7, bytesIn: 0, bytesOut: 70 }]);
    });

    it('keeps the request formats in rows of their own and reports each bucket per status class and format', async () => {
      await store.write([rollup({ requests: 2 }), rollup({ format: 'rfc9421', requests: 3, latencyMsMax: 9 }), rollup({ format: 'rfc9421', status: 401 })]);
      await store.write([rollup({ format: 'rfc9421', requests: 4 })]);
      expect(await opened.db('usage_rollups').count({ n: '*' })).toEqual([{ n: 3 }]);
      const series = await store.query({ granularity: 'minute', from: T0, to: T0 + MINUTE });
      expect(series.buckets.map((b) => [b.statusClass, b.format, b.requests, b.latencyMsMax])).toEqual([
        [2, 'jws', 2, 2],
        [2, 'rfc9421', 7, 9],
        [4, 'rfc9421', 1, 2],
      ]);
    });

    it('keeps the usage of a consumer directory key, whose id is up to 128 characters', async () => {
      const keyId = `con_${'A'.repeat(22)}_${'k'.repeat(101)}`;
      await store.write([rollup({ keyId })]);
      const series = await store.query({ granularity: 'minute', from: T0, to: T0 + MINUTE, keyId, groupBy: 'key' });
      expect(series.groups.map((g) => [g.value, g.requests])).toEqual([[keyId, 1]]);
    });

    it('writes more rows than fit in one statement', async () => {
      const count = ROWS_PER_INSERT * 2 + 50;
      const rows = Array.from({ length: count }, (_, i) => rollup({ bucketStart: T0 + i * MINUTE }));
      await store.write(rows);
      const series = await store.query({ granularity: 'minute', from: T0, to: T0 + count * MINUTE });
      expect(series.buckets).toHaveLength(count);
    });

    it('filters by consumer, key, route and status class, and only within [from, to)', async () => {
      await store.write([
        rollup(),
        rollup({ consumerId: 'con_b', keyId: 'key_b' }),
        rollup({ route: '/v1/echo', method: 'POST' }),
        rollup({ status: 429 }),
        rollup({ bucketStart: T0 + MINUTE }),
        rollup({ granularity: 'hour' }),
      ]);
      const count = async (extra: object) => (await store.query({ granularity: 'minute', from: T0, to: T0 + MINUTE, ...extra })).buckets.reduce((n, b) => n + b.requests, 0);
      expect(await count({})).toBe(4);
      expect(await count({ consumerId: 'con_b' })).toBe(1);
      expect(await count({ keyId: 'key_a' })).toBe(3);
      expect(await count({ route: '/v1/echo' })).toBe(1);
      expect(await count({ statusClass: 4 })).toBe(1);
      expect(await count({ statusClass: 2 })).toBe(3);
    });

    it('groups by a dimension, most requests first, status classes named 2xx, 4xx', async () => {
      await store.write([rollup({ requests: 5 }), rollup({ consumerId: 'con_b', requests: 9 }), rollup({ status: 401, requests: 2 })]);
      const byConsumer = await store.query({ granularity: 'minute', from: T0, to: T0 + MINUTE, groupBy: 'consumer' });
      expect(byConsumer.groups.map((g) => [g.value, g.requests])).toEqual([
        ['con_b', 9],
        ['con_a', 7],
      ]);
      const byClass = await store.query({ granularity: 'minute', from: T0, to: T0 + MINUTE, groupBy: 'status_class' });
      expect(byClass.groups.map((g) => [g.value, g.requests])).toEqual([
        ['2xx', 14],
        ['4xx', 2],
      ]);
    });

    it('migration 008 counts older rows as jws, and its down migration folds the formats back into one row without losing a request', async () => {
      await store.write([rollup({ requests: 2, latencyMsMax: 3 }), rollup({ format: 'rfc9421', requests: 5, latencyMsMax: 8 }), rollup({ route: '/v1/echo', format: 'rfc9421' })]);
      // Down through 008, past any later migration.
      while (((await opened.db.migrate.list(migrationConfig)) as [Array<{ name: string }>, unknown[]])[0].some((m) => m.name === '008_usage_format')) await opened.db.migrate.down(migrationConfig);
      const columns = Object.keys(await opened.db('usage_rollups').columnInfo());
      expect(columns).not.toContain('format');
      const folded = await opened.db('usage_rollups').orderBy('route').select('route', 'requests', 'latency_ms_max');
      expect(folded.map((r) => [r.route, Number(r.requests), Number(r.latency_ms_max)])).toEqual([
        ['/v1/echo', 1, 2],
        ['/v1/whoami', 7, 8],
      ]);
      await migrateToLatest(opened.db);
      expect(await opened.db('usage_rollups').distinct('format').pluck('format')).toEqual(['jws']);
      await store.write([rollup({ format: 'rfc9421' })]);
      const series = await store.query({ granularity: 'minute', from: T0, to: T0 + MINUTE });
      expect(series.buckets.map((b) => [b.format, b.requests])).toEqual([
        ['jws', 8],
        ['rfc9421', 1],
      ]);
    });

    it('deletes rows older than the retention cut-off of their granularity in the same write', async () => {
      await store.write([rollup({ bucketStart: T0 }), rollup({ bucketStart: T0, granularity: 'day' })]);
      await store.write([rollup({ bucketStart: T0 + 10 * MINUTE })], { minute: T0 + 5 * MINUTE });
      const minutes = await store.query({ granularity: 'minute', from: 0, to: T0 + 60 * MINUTE });
      expect(minutes.buckets.map((b) => b.bucketStart)).toEqual([T0 + 10 * MINUTE]);
      expect((await store.query({ granularity: 'day', from: 0, to: T0 + 1 })).buckets).toHaveLength(1);
    });
  });
}

usageStoreContract('SQLite', openMigratedSqlite);

if (servicesAvailable('the PostgreSQL usage store tests', { pg: true })) {
  usageStoreContract('PostgreSQL', () => openRolledBackPgSchema('usage'));
}
