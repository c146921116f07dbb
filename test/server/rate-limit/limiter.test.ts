import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/clock.js';
import { buildPlans } from '../../../src/plans.js';
import { silentLogger } from '../../../src/server/logger.js';
import { RateLimiter } from '../../../src/server/rate-limit/limiter.js';
import { MemoryRateLimitStore } from '../../../src/store/memory-rate-limit-store.js';
import type { ConsumerRecord } from '../../../src/store/types.js';

const plans = buildPlans({ small: { windows: [{ name: 'per_minute', limit: 2, window: '1m' }] } });
const consumer = { id: 'con_a', name: 'a', status: 'active', createdAt: 0, updatedAt: 0, allowedModes: ['ed25519'], plan: 'small', rateLimitOverrides: null } as unknown as ConsumerRecord;

describe('the rate limiter deciding on counts already taken', () => {
  it('admits without a promise, and refuses through one that first gives every unit back', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const store = new MemoryRateLimitStore(clock);
    const limiter = new RateLimiter({ plans, defaultPlan: 'small', store, clock, logger: silentLogger() });
    const take = () => {
      const counting = limiter.counting(consumer);
      const counts = counting.counters.map((c) => store.add(c.key, 1, c.expiresAtMs));
      return { counting, counts };
    };
    const first = take();
    const admitted = limiter.decide(first.counting, await Promise.all(first.counts));
    expect(admitted).not.toBeInstanceOf(Promise);
    expect((admitted as Awaited<typeof admitted>).allowed).toBe(true);
    const second = take();
    expect((limiter.decide(second.counting, await Promise.all(second.counts)) as Awaited<ReturnType<typeof limiter.decide>>).windows[0]!.remaining).toBe(0);
    const third = take();
    const refused = limiter.decide(third.counting, await Promise.all(third.counts));
    expect(refused).toBeInstanceOf(Promise);
    expect((await refused).allowed).toBe(false);
    // The refused request's unit was given back: the counter stands at the limit, not above it.
    expect(store.get(third.counting.counters[0]!.key)).toBe(2);
  });
});
