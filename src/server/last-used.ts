import type { CredentialStore } from '../store/types.js';
import type { Logger } from './logger.js';
import { SerialFlusher } from './serial-flusher.js';

/**
 * Coalesces `last_used_at` in memory and writes it in one batch per interval, so a busy key costs
 * one write per interval instead of one per request.
 */
export class LastUsedRecorder {
  private pending = new Map<string, number>();
  private readonly flusher: SerialFlusher;

  constructor(
    private readonly store: CredentialStore,
    private readonly logger: Logger,
    intervalMs: number,
  ) {
    this.flusher = new SerialFlusher(() => this.writeBatch(), intervalMs);
  }

  touch(kid: string, at: number): void {
    const previous = this.pending.get(kid);
    if (previous === undefined || previous < at) this.pending.set(kid, at);
  }

  start(): void {
    this.flusher.start();
  }

  stop(): Promise<void> {
    return this.flusher.stop();
  }

  flush(): Promise<void> {
    return this.flusher.flush();
  }

  private async writeBatch(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    try {
      await this.store.recordLastUsed(batch);
    } catch (error) {
      // Keep the times for the next round rather than lose them.
      for (const [kid, at] of batch) this.touch(kid, at);
      this.logger.warn({ err: error }, 'could not record key last-use times; will retry');
    }
  }
}
