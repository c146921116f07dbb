import type { Clock } from '../clock.js';
import type { RateLimitStore } from './types.js';

interface Counter {
  value: number;
  /** Epoch ms on the injected clock; the counter reads 0 from then on. */
  expiresAt: number;
}

/** Expired counters are swept once the map holds this many, and then each time it has doubled. */
const FIRST_SWEEP_AT = 1024;

/**
 * Rate-limit counters in this process's memory: a map from key to value and expiry, read and
 * written synchronously, so every add is atomic in one process. Expiry is on the injected clock
 * and a counter's expiry is set when it is created, as in the Redis store. Expired counters read 0
 * at once and are freed by an amortised sweep: no timer per counter, nothing to do per request
 * beyond one map lookup (rate-limiter-flexible's memory storage, used before, made a timer, a
 * result object and a promise per call).
 */
export class MemoryRateLimitStore implements RateLimitStore {
  private readonly counters = new Map<string, Counter>();
  private sweepAt = FIRST_SWEEP_AT;

  constructor(private readonly clock: Clock) {}

  async add(key: string, delta: number, expiresAtMs: number): Promise<number> {
    const now = this.clock.now();
    const counter = this.counters.get(key);
    if (counter !== undefined && counter.expiresAt > now) return (counter.value += delta);
    this.counters.set(key, { value: delta, expiresAt: expiresAtMs });
    if (this.counters.size >= this.sweepAt) this.sweep(now);
    return delta;
  }

  /** Synchronous: the failure gate reads this counter on every request, and a promise would cost it a microtask hop. */
  get(key: string): number {
    const counter = this.counters.get(key);
    return counter !== undefined && counter.expiresAt > this.clock.now() ? counter.value : 0;
  }

  /** Counters kept here now, expired ones not yet swept included (for tests and metrics). */
  size(): number {
    return this.counters.size;
  }

  private sweep(now: number): void {
    for (const [key, counter] of this.counters) if (counter.expiresAt <= now) this.counters.delete(key);
    this.sweepAt = Math.max(FIRST_SWEEP_AT, this.counters.size * 2);
  }
}
