import type { UsageGranularity, UsageRollup } from '../../store/types.js';

/** One authenticated request, as the usage middleware saw it. */
export interface UsageRecord {
  /** Epoch ms (injected clock) when the request arrived. */
  at: number;
  consumerId: string;
  keyId: string;
  mode: string;
  method: string;
  route: string;
  status: number;
  latencyMs: number;
  bytesIn: number;
  bytesOut: number;
}

export const GRANULARITY_MS: Readonly<Record<UsageGranularity, number>> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };
const GRANULARITIES = Object.keys(GRANULARITY_MS) as UsageGranularity[];

function rowKey(r: Pick<UsageRollup, 'granularity' | 'bucketStart' | 'consumerId' | 'keyId' | 'mode' | 'method' | 'route' | 'status'>): string {
  return `${r.granularity}\u0000${r.bucketStart}\u0000${r.consumerId}\u0000${r.keyId}\u0000${r.mode}\u0000${r.method}\u0000${r.route}\u0000${r.status}`;
}

/** Roll-up rows being summed in memory, one per key: what a flush writes. */
export class RollupBatch {
  private readonly rows = new Map<string, UsageRollup>();

  get size(): number {
    return this.rows.size;
  }

  /** Requests in the batch (counted once, in the minute rows). */
  get requests(): number {
    let total = 0;
    for (const row of this.rows.values()) if (row.granularity === 'minute') total += row.requests;
    return total;
  }

  addRecord(record: UsageRecord): void {
    for (const granularity of GRANULARITIES) {
      const size = GRANULARITY_MS[granularity];
      this.addRow({
        granularity,
        bucketStart: Math.floor(record.at / size) * size,
        consumerId: record.consumerId,
        keyId: record.keyId,
        mode: record.mode,
        method: record.method,
        route: record.route,
        status: record.status,
        requests: 1,
        latencyMsSum: record.latencyMs,
        latencyMsMax: record.latencyMs,
        bytesIn: record.bytesIn,
        bytesOut: record.bytesOut,
      });
    }
  }

  addRow(row: UsageRollup): void {
    const key = rowKey(row);
    const existing = this.rows.get(key);
    if (existing === undefined) {
      this.rows.set(key, { ...row });
      return;
    }
    existing.requests += row.requests;
    existing.latencyMsSum += row.latencyMsSum;
    existing.latencyMsMax = Math.max(existing.latencyMsMax, row.latencyMsMax);
    existing.bytesIn += row.bytesIn;
    existing.bytesOut += row.bytesOut;
  }

  merge(other: RollupBatch): void {
    for (const row of other.rows.values()) this.addRow(row);
  }

  toRows(): UsageRollup[] {
    return [...this.rows.values()];
  }
}
