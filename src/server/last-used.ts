import type { CredentialStore } from '../store/types.js';
import type { Logger } from './logger.js';

/**
 * Coalesces `last_used_at` in memory and writes it in one batch per interval, so a busy key costs
 * one write per interval instead of one per request.
 */
export class LastUsedRecorder {
  private pending = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  /** The write in progress: flushes run one after another, so stop() also waits for a timer's flush. */
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: CredentialStore,
    private readonly logger: Logger,
    private readonly intervalMs: number,
  ) {}

  touch(kid: string, at: number): void {
    const previous = this.pending.get(kid);
    if (previous === undefined || previous < at) this.pending.set(kid, at);
  }

  start(): void {
    this.timer ??= setInterval(() => void this.flush(), this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  flush(): Promise<void> {
    this.writing = this.writing.then(() => this.writeBatch());
    return this.writing;
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
