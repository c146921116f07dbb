import type { Clock } from '../clock.js';
import type { Logger } from './logger.js';

/** During an outage, at most one warning per this interval. */
const OUTAGE_LOG_INTERVAL_MS = 30_000;

/** Distinct reasons kept per line; further ones are counted under "other". */
const MAX_REASONS = 10;

/**
 * Logs requests refused because a dependency is down (503) calmly: the first refusal at once, as a
 * warning with its reason and no stack trace, then at most one warning per interval carrying the
 * number of refusals since the last line, by code and reason. An outage refuses every request; a
 * line (and a stack trace) per request would bury the one line an operator needs, and cost as much
 * as the requests themselves. The cause of each refusal is known (Redis or the database
 * unreachable): its stack says nothing more.
 */
export class OutageLog {
  private lastLineAt = Number.NEGATIVE_INFINITY;
  private readonly pending = new Map<string, number>();
  private pendingTotal = 0;

  constructor(private readonly deps: { logger: Logger; clock: Clock; intervalMs?: number }) {}

  /** One refused request: `code` is its error code, `reason` the private detail (no secrets). */
  note(code: string, reason: string | undefined): void {
    // Numbers (times, ports, counts) vary per request: without them, one outage is one reason.
    let key = `${code}: ${(reason ?? 'unknown').replace(/\d+/g, 'N').slice(0, 200)}`;
    if (!this.pending.has(key) && this.pending.size >= MAX_REASONS) key = `${code}: other`;
    this.pending.set(key, (this.pending.get(key) ?? 0) + 1);
    this.pendingTotal++;
    const now = this.deps.clock.now();
    if (now - this.lastLineAt >= (this.deps.intervalMs ?? OUTAGE_LOG_INTERVAL_MS)) this.write(now);
  }

  /** Writes what is still counted (at shutdown), so the last refusals are not lost from the log. */
  flush(): void {
    if (this.pendingTotal > 0) this.write(this.deps.clock.now());
  }

  private write(now: number): void {
    const sinceMs = Number.isFinite(this.lastLineAt) ? now - this.lastLineAt : 0;
    this.deps.logger.warn(
      { refused: this.pendingTotal, since_ms: sinceMs, reasons: Object.fromEntries(this.pending) },
      'requests refused with 503: a service Signet depends on is unavailable (at most one line per 30 s while it lasts)',
    );
    this.lastLineAt = now;
    this.pending.clear();
    this.pendingTotal = 0;
  }
}
