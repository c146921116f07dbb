import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManualClock } from '../../src/clock.js';
import { SignetError } from '../../src/protocol/errors.js';
import type { FreshTokenCounter, RateLimitStore } from '../../src/store/types.js';

export interface OpenedFreshTokenCounter {
  store: FreshTokenCounter;
  /** The rate-limit store whose counters `store` adds to. */
  rateLimits: RateLimitStore;
  clock: ManualClock;
  close(): Promise<void>;
  /** Makes the replay history look lost from `epochMs` on (a Redis that restarted empty); absent where it cannot be. */
  loseHistory?(epochMs: number): Promise<void>;
}

let run = 0;

/** The behaviour every FreshTokenCounter shares (memory stores; Redis when configured). */
export function freshTokenCounterContract(engine: string, open: () => Promise<OpenedFreshTokenCounter>, options: { canLoseHistory: boolean }): void {
  describe(`FreshTokenCounter contract on ${engine}`, () => {
    let opened: OpenedFreshTokenCounter;
    const kid = (name: string) => `key_${name}_${run}`;
    const counter = (name: string) => ({ key: `consumer:c_${run}:${name}`, expiresAtMs: opened.clock.now() + 60_000 });
    beforeAll(async () => {
      opened = await open();
    });
    afterAll(async () => opened?.close());

    it('counts a fresh token on every counter, in order, and the rate-limit store reads the same values', async () => {
      run++;
      const { store, rateLimits, clock } = opened;
      const counters = [counter('second'), counter('minute')];
      await rateLimits.add(counters[1]!.key, 5, counters[1]!.expiresAtMs);
      expect(await store.checkAndSetThenCount(kid('a'), 'jti-1', clock.now() + 60_000, clock.now(), counters)).toEqual({ verdict: 'fresh', counts: [1, 6] });
      expect(await store.checkAndSetThenCount(kid('a'), 'jti-2', clock.now() + 60_000, clock.now(), counters)).toEqual({ verdict: 'fresh', counts: [2, 7] });
      expect(await rateLimits.get(counters[0]!.key)).toBe(2);
      expect(await rateLimits.get(counters[1]!.key)).toBe(7);
    });

    it('counts nothing for a replayed token: a replay cannot spend the victim’s rate limit', async () => {
      run++;
      const { store, rateLimits, clock } = opened;
      const counters = [counter('second')];
      expect((await store.checkAndSetThenCount(kid('a'), 'once', clock.now() + 60_000, clock.now(), counters)).verdict).toBe('fresh');
      for (let i = 0; i < 3; i++) expect(await store.checkAndSetThenCount(kid('a'), 'once', clock.now() + 60_000, clock.now(), counters)).toEqual({ verdict: 'replayed', counts: [] });
      expect(await rateLimits.get(counters[0]!.key)).toBe(1);
    });

    it('is the replay check alone without counters, and one fresh among many concurrent calls of one pair', async () => {
      run++;
      const { store, rateLimits, clock } = opened;
      expect(await store.checkAndSetThenCount(kid('a'), 'alone', clock.now() + 60_000, clock.now(), [])).toEqual({ verdict: 'fresh', counts: [] });
      const counters = [counter('second')];
      const answers = await Promise.all(Array.from({ length: 50 }, () => store.checkAndSetThenCount(kid('b'), 'same', clock.now() + 60_000, clock.now(), counters)));
      expect(answers.filter((a) => a.verdict === 'fresh')).toEqual([{ verdict: 'fresh', counts: [1] }]);
      expect(await rateLimits.get(counters[0]!.key)).toBe(1);
    });

    // A store in this process's memory has no history to lose apart from the process itself.
    if (!options.canLoseHistory) return;
    it('counts nothing for a token it refuses because the replay history is lost', async () => {
      run++;
      const { store, rateLimits, clock } = opened;
      await opened.loseHistory!(clock.now());
      const counters = [counter('second')];
      await expect(store.checkAndSetThenCount(kid('a'), 'old', clock.now() + 60_000, clock.now() - 1000, counters)).rejects.toSatisfy(
        (e) => e instanceof SignetError && e.code === 'service_unavailable',
      );
      expect(await rateLimits.get(counters[0]!.key)).toBe(0);
    });
  });
}
