import type { UsageGranularity, UsageRollup } from '../../store/types.js';

/** One authenticated request, as the usage middleware saw it: a roll-up row's dimensions and one request's figures. */
export interface UsageRecord extends Pick<UsageRollup, 'consumerId' | 'keyId' | 'mode' | 'format' | 'method' | 'route' | 'status' | 'bytesIn' | 'bytesOut'> {
  /** Epoch ms (injected clock) when the request arrived. */
  at: number;
  latencyMs: number;
}

export const GRANULARITY_MS: Readonly<Record<UsageGranularity, number>> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };
const GRANULARITIES = Object.keys(GRANULARITY_MS) as UsageGranularity[];

function rowKey(r: Pick<UsageRollup, 'granularity' | 'bucketStart' | 'consumerId' | 'keyId' | 'mode' | 'format' | 'method' | 'route' | 'status'>): string {
  return `${r.granularity}\u0000${r.bucketStart}\u0000${r.consumerId}\u0000${r.keyId}\u0000${r.mode}\u0000${r.format}\u0000${r.method}\u0000${r.route}\u0000${r.status}`;
}

/**
 * Roll-up rows being summed in memory: what a flush writes. Each record is added to its minute row
 * only (one key, one map lookup per request); the hour and day rows are summed from the minute
 * rows when the batch is written, since every minute lies inside exactly one hour and one day.
 */
export class RollupBatch {
  private readonly minutes = new Map<string, UsageRollup>();

  /** Minute rows in the batch (a flush writes up to three times as many rows). */
  get size(): number {
    return this.minutes.size;
  }

  /** Requests in the batch. */
  get requests(): number {
    let total = 0;
    for (const row of this.minutes.values()) total += row.requests;
    return total;
  }

  addRecord(record: UsageRecord): void {
    const size = GRANULARITY_MS.minute;
    const row: UsageRollup = {
      granularity: 'minute',
      bucketStart: Math.floor(record.at / size) * size,
      consumerId: record.consumerId,
      keyId: record.keyId,
      mode: record.mode,
      format: record.format,
      method: record.method,
      route: record.route,
      status: record.status,
      requests: 1,
      latencyMsSum: record.latencyMs,
      latencyMsMax: record.latencyMs,
      bytesIn: record.bytesIn,
      bytesOut: record.bytesOut,
    };
    addTo(this.minutes, row);
  }

  /** Minute rows, then the hour and day rows summed from them. */
  toRows(): UsageRollup[] {
    const rows = [...this.minutes.values()];
    for (const granularity of GRANULARITIES) {
      if (granularity === 'minute') continue;
      const size = GRANULARITY_MS[granularity];
      const coarser = new Map<string, UsageRollup>();
      for (const minute of this.minutes.values()) addTo(coarser, { ...minute, granularity, bucketStart: Math.floor(minute.bucketStart / size) * size });
      rows.push(...coarser.values());
    }
    return rows;
  }
}

/** Sums `row` into its row of `rows`, or keeps it there (callers hand over a fresh object). */
function addTo(rows: Map<string, UsageRollup>, row: UsageRollup): void {
  const key = rowKey(row);
  const existing = rows.get(key);
  if (existing === undefined) {
    rows.set(key, row);
    return;
  }
  existing.requests += row.requests;
  existing.latencyMsSum += row.latencyMsSum;
  existing.latencyMsMax = Math.max(existing.latencyMsMax, row.latencyMsMax);
  existing.bytesIn += row.bytesIn;
  existing.bytesOut += row.bytesOut;
}
