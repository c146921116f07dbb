import type { CounterIncrement, FreshTokenCounter, RateLimitStore, ReplayStore, ReplayVerdict } from './types.js';

/**
 * The replay check and the rate-limit adds as two calls, one after the other: for stores in this
 * process's memory, where a call costs no round trip, and for any pair of stores that cannot do
 * both in one step.
 */
export class SequentialFreshTokenCounter implements FreshTokenCounter {
  constructor(
    private readonly replay: ReplayStore,
    private readonly rateLimits: RateLimitStore,
  ) {}

  async checkAndSetThenCount(kid: string, jti: string, expiresAtMs: number, issuedAtMs: number, counters: readonly CounterIncrement[]): Promise<{ verdict: ReplayVerdict; counts: number[] }> {
    const verdict = await this.replay.checkAndSet(kid, jti, expiresAtMs, issuedAtMs);
    if (verdict !== 'fresh' || counters.length === 0) return { verdict, counts: [] };
    return { verdict, counts: await Promise.all(counters.map((counter) => this.rateLimits.add(counter.key, 1, counter.expiresAtMs))) };
  }
}
