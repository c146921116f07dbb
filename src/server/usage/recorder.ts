import type { Clock } from '../../clock.js';
import type { UsageGranularity, UsageStore } from '../../store/types.js';
import type { Logger } from '../logger.js';
import { SerialFlusher } from '../serial-flusher.js';
import { GRANULARITY_MS, RollupBatch, type UsageRecord } from './rollup.js';

export type DropReason = 'buffer_full' | 'write_failed';

export interface UsageRecorderOptions {
  store: UsageStore;
  clock: Clock;
  logger: Logger;
  enabled: boolean;
  /** Records held at most; beyond, records are dropped and counted. */
  bufferSize: number;
  /** A buffer this full is flushed at once. */
  batchSize: number;
  flushMs: number;
  retentionDays: Readonly<Record<UsageGranularity, number>>;
  onDrop?: (reason: DropReason, records: number) => void;
}

export interface UsageHealth {
  recording: boolean;
  buffered: number;
  dropped: Record<DropReason, number>;
}

/** Old roll-ups are deleted at most this often (inside a flush's transaction). */
const PRUNE_EVERY_MS = 10 * 60_000;
const DAY_MS = 86_400_000;

/**
 * The usage buffer: `record` only pushes to an array (never waits, never touches the database); a
 * flush, when the buffer reaches the batch size, on the interval timer, or on stop(), rolls the
 * records up by minute, hour and day and writes them in one transaction. A full buffer drops new
 * records and counts them. Rows of a failed write are carried into the next flush once, then dropped.
 */
export class UsageRecorder {
  private buffer: UsageRecord[] = [];
  private carried: RollupBatch | undefined;
  private readonly flusher: SerialFlusher;
  private lastPruneAt = Number.NEGATIVE_INFINITY;
  private readonly dropped: Record<DropReason, number> = { buffer_full: 0, write_failed: 0 };

  constructor(private readonly options: UsageRecorderOptions) {
    this.flusher = new SerialFlusher(() => this.writeBatch(), options.flushMs);
  }

  get enabled(): boolean {
    return this.options.enabled;
  }

  record(record: UsageRecord): void {
    if (!this.options.enabled) return;
    if (this.buffer.length >= this.options.bufferSize) {
      this.drop('buffer_full', 1);
      return;
    }
    this.buffer.push(record);
    if (this.buffer.length >= this.options.batchSize && !this.flusher.queued) void this.flush();
  }

  health(): UsageHealth {
    return { recording: this.options.enabled, buffered: this.buffer.length, dropped: { ...this.dropped } };
  }

  start(): void {
    if (this.options.enabled) this.flusher.start();
  }

  /** Stops the timer and writes what is buffered. */
  stop(): Promise<void> {
    return this.flusher.stop();
  }

  /** Writes everything recorded before this call; resolves when it is written (or dropped). */
  flush(): Promise<void> {
    return this.flusher.flush();
  }

  private async writeBatch(): Promise<void> {
    const records = this.buffer;
    this.buffer = [];
    const batch = this.carried ?? new RollupBatch();
    const carriedRequests = this.carried?.requests ?? 0;
    this.carried = undefined;
    for (const record of records) batch.addRecord(record);
    const now = this.options.clock.now();
    const prune = now - this.lastPruneAt >= PRUNE_EVERY_MS;
    if (batch.size === 0 && !prune) return;
    try {
      await this.options.store.write(batch.toRows(), prune ? this.cutoffs(now) : undefined);
      if (prune) this.lastPruneAt = now;
    } catch (error) {
      // One more chance in the next flush for these records; rows already carried once are lost.
      this.drop('write_failed', carriedRequests);
      if (records.length > 0) {
        const retry = new RollupBatch();
        for (const record of records) retry.addRecord(record);
        this.carried = retry;
      }
      this.options.logger.warn({ err: error, records: records.length }, 'could not write usage roll-ups; will retry once');
    }
  }

  private cutoffs(now: number): Record<UsageGranularity, number> {
    const days = this.options.retentionDays;
    const cutoff = (g: UsageGranularity) => Math.floor((now - days[g] * DAY_MS) / GRANULARITY_MS[g]) * GRANULARITY_MS[g];
    return { minute: cutoff('minute'), hour: cutoff('hour'), day: cutoff('day') };
  }

  private drop(reason: DropReason, records: number): void {
    if (records <= 0) return;
    this.dropped[reason] += records;
    this.options.onDrop?.(reason, records);
  }
}
