import { describe, expect, it } from 'vitest';
import { RollupBatch, type UsageRecord } from '../../../src/server/usage/rollup.js';

const HOUR = 3_600_000;
const DAY0 = Date.UTC(2026, 0, 1);

function record(at: number, overrides: Partial<UsageRecord> = {}): UsageRecord {
  return { at, consumerId: 'con_a', keyId: 'key_a', mode: 'ed25519', format: 'jws', method: 'GET', route: '/v1/whoami', status: 200, latencyMs: 1, bytesIn: 0, bytesOut: 10, ...overrides };
}

describe('RollupBatch', () => {
  it('sums records into minute rows and derives hour and day rows from them', () => {
    const batch = new RollupBatch();
    batch.addRecord(record(DAY0 + 5_000, { latencyMs: 2, bytesOut: 7 }));
    batch.addRecord(record(DAY0 + 50_000, { latencyMs: 9 }));
    batch.addRecord(record(DAY0 + 61_000, { latencyMs: 4 }));
    batch.addRecord(record(DAY0 + 2 * HOUR + 1, { latencyMs: 3, bytesIn: 5 }));
    expect(batch.size).toBe(3);
    expect(batch.requests).toBe(4);

    const rows = batch.toRows();
    const of = (granularity: string) => rows.filter((r) => r.granularity === granularity).map((r) => [r.bucketStart - DAY0, r.requests, r.latencyMsSum, r.latencyMsMax, r.bytesIn, r.bytesOut]);
    expect(of('minute')).toEqual([
      [0, 2, 11, 9, 0, 17],
      [60_000, 1, 4, 4, 0, 10],
      [2 * HOUR, 1, 3, 3, 5, 10],
    ]);
    expect(of('hour')).toEqual([
      [0, 3, 15, 9, 0, 27],
      [2 * HOUR, 1, 3, 3, 5, 10],
    ]);
    expect(of('day')).toEqual([[0, 4, 18, 9, 5, 37]]);
  });

  it('keeps rows apart that differ in consumer, key, route, method, status or request format', () => {
    const batch = new RollupBatch();
    const at = DAY0 + 1_000;
    for (const overrides of [{}, { consumerId: 'con_b' }, { keyId: 'key_b' }, { route: '/v1/echo' }, { method: 'POST' }, { status: 429 }, { format: 'rfc9421' }, {}]) {
      batch.addRecord(record(at, overrides));
    }
    const rows = batch.toRows();
    for (const granularity of ['minute', 'hour', 'day']) {
      expect(rows.filter((r) => r.granularity === granularity).map((r) => r.requests)).toEqual([2, 1, 1, 1, 1, 1, 1]);
      expect(rows.filter((r) => r.granularity === granularity && r.format === 'rfc9421')).toHaveLength(1);
    }
  });
});
