import type { CounterIncrement, FreshTokenCount, FreshTokenCounter, RateLimitStore, ReplayStore, ReplayVerdict } from './types.js';

/** A replay store in this process's memory can answer without a promise (MemoryReplayStore). */
type MaybeSyncReplayStore = ReplayStore & { checkAndSetSync?: (kid: string, jti: string, expiresAtMs: number) => ReplayVerdict };

/**
 * The replay check and the rate-limit adds as two calls, one after the other: for stores in this
 * process's memory, where a call costs no round trip, and for any pair of stores that cannot do
 * both in one step.
 */
export class SequentialFreshTokenCounter implements FreshTokenCounter {
  constructor(
    private readonly replay: MaybeSyncReplayStore,
    private readonly rateLimits: RateLimitStore,
  ) {}

  checkAndSetThenCount(kid: string, jti: string, expiresAtMs: number, issuedAtMs: number, counters: readonly CounterIncrement[]): FreshTokenCount | Promise<FreshTokenCount> {
    // Without counters (a plan without windows) and with a replay store in memory, the answer is
    // synchronous: no promise and no microtask hop on the hot path.
    if (counters.length === 0 && this.replay.checkAndSetSync !== undefined) return { verdict: this.replay.checkAndSetSync(kid, jti, expiresAtMs), counts: [] };
    return this.checkThenCount(kid, jti, expiresAtMs, issuedAtMs, counters);
  }

  private async checkThenCount(kid: string, jti: string, expiresAtMs: number, issuedAtMs: number, counters: readonly CounterIncrement[]): Promise<FreshTokenCount> {
    const verdict = await this.replay.checkAndSet(kid, jti, expiresAtMs, issuedAtMs);
    if (verdict !== 'fresh' || counters.length === 0) return { verdict, counts: [] };
    return { verdict, counts: await Promise.all(counters.map((counter) => this.rateLimits.add(counter.key, 1, counter.expiresAtMs))) };
  }
}
