import { RateLimiterMemory } from 'rate-limiter-flexible';
import type { Clock } from '../clock.js';
import type { RateLimitStore } from './types.js';

/** Node timers overflow past 2^31 - 1 ms (24.8 days): longer-lived counters are swept by hand. */
const MAX_TIMER_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

/**
 * Rate-limit counters in this process's memory, kept by rate-limiter-flexible's memory storage
 * (its `penalty` and `reward` are an atomic add with expiry; its Redis limiter has the same calls,
 * which is what the scale-out store will use). Its expiry runs on the real clock; callers put the
 * window in the key and pass an expiry a little after the window's end, so a counter that outlives
 * its window merely waits to be freed.
 */
export class MemoryRateLimitStore implements RateLimitStore {
  private readonly limiter = new RateLimiterMemory({ points: 1, duration: 1, keyPrefix: '' });
  /** Counters too long-lived for a timer (monthly windows): key -> expiry on the injected clock. */
  private readonly untimed = new Map<string, number>();
  private sweepAt = 1024;

  constructor(private readonly clock: Clock) {}

  async add(key: string, delta: number, expiresAtMs: number): Promise<number> {
    const seconds = Math.max(1, Math.ceil((expiresAtMs - this.clock.now()) / 1000));
    // customDuration 0 means "never expires" to rate-limiter-flexible; those are swept below.
    const customDuration = seconds > MAX_TIMER_SECONDS ? 0 : seconds;
    const result =
      delta >= 0 ? await this.limiter.penalty(key, delta, { customDuration }) : await this.limiter.reward(key, -delta, { customDuration });
    if (customDuration === 0 && !this.untimed.has(key)) this.trackUntimed(key, expiresAtMs);
    return result.consumedPoints;
  }

  async get(key: string): Promise<number> {
    return (await this.limiter.get(key))?.consumedPoints ?? 0;
  }

  /** Counters kept here now (for tests and metrics). */
  size(): number {
    return this.limiter.dump().storage.length;
  }

  private trackUntimed(key: string, expiresAtMs: number): void {
    this.untimed.set(key, expiresAtMs);
    if (this.untimed.size < this.sweepAt) return;
    // Amortised: a sweep runs each time the map has doubled since the last one.
    const now = this.clock.now();
    for (const [name, expiry] of this.untimed) {
      if (expiry <= now) {
        this.untimed.delete(name);
        void this.limiter.delete(name);
      }
    }
    this.sweepAt = Math.max(1024, this.untimed.size * 2);
  }
}
