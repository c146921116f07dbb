import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/clock.js';
import { AuthFailureLimiter, clientNetwork } from '../../../src/server/rate-limit/auth-failures.js';
import { MemoryRateLimitStore } from '../../../src/store/memory-rate-limit-store.js';
import type { RateLimitStore } from '../../../src/store/types.js';

describe('the client network of an address, for the failure limit', () => {
  it('is the IPv4 address itself, also when IPv4-mapped, and the /64 of an IPv6 address', () => {
    expect(clientNetwork('203.0.113.7')).toBe('203.0.113.7');
    expect(clientNetwork('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(clientNetwork('2001:db8:85a3:0:1:2:3:4')).toBe('2001:db8:85a3:0::/64');
    expect(clientNetwork('2001:0db8:85a3:0000:ffff:2:3:4')).toBe('2001:db8:85a3:0::/64');
    expect(clientNetwork('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(clientNetwork('2001:db8::')).toBe('2001:db8:0:0::/64');
    expect(clientNetwork('::1')).toBe('0:0:0:0::/64');
    expect(clientNetwork('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
  });
});

describe('the failure limiter', () => {
  const limit = 3;
  const start = Date.UTC(2026, 0, 1);
  const setup = () => {
    const clock = new ManualClock(start);
    const store = new MemoryRateLimitStore(clock);
    const writes: number[] = [];
    const counted: RateLimitStore = { add: (key, delta, expiresAt) => (writes.push(delta), store.add(key, delta, expiresAt)), get: (key) => store.get(key) };
    return { clock, store, writes, limiter: new AuthFailureLimiter({ store: counted, clock, limit, windowSeconds: 60 }) };
  };

  it('writes nothing to the shared counter for requests that do not fail', async () => {
    const { limiter, writes } = setup();
    for (let i = 0; i < 10; i++) {
      const slot = await limiter.admit('203.0.113.7');
      expect(slot.state.blocked).toBe(false);
      await slot.settle(false);
    }
    expect(writes).toEqual([]);
  });

  it('counts requests in flight as possible failures: of limit + 2 arriving at once, exactly limit are let through', async () => {
    const { limiter } = setup();
    const slots = await Promise.all(Array.from({ length: limit + 2 }, () => limiter.admit('203.0.113.7')));
    const admitted = slots.filter((s) => !s.state.blocked);
    expect(admitted).toHaveLength(limit);
    // The admitted ones end: two fail, one succeeds; one more place is free then.
    await admitted[0]!.settle(true);
    await admitted[1]!.settle(true);
    await admitted[2]!.settle(false);
    const next = await limiter.admit('203.0.113.7');
    expect(next.state.blocked).toBe(false);
    await next.settle(true);
    expect((await limiter.admit('203.0.113.7')).state.blocked).toBe(true);
  });

  it('adds each failure to the shared counter and reads the failures of other instances from it', async () => {
    const { limiter, store, clock } = setup();
    const failing = await limiter.admit('203.0.113.7');
    await failing.settle(true);
    expect(await store.get(`address:203.0.113.7:60:${start}`)).toBe(1);
    // Another instance counted two more failures of the same address.
    await store.add(`address:203.0.113.7:60:${start}`, 2, start + 70_000);
    expect((await limiter.admit('203.0.113.7')).state.blocked).toBe(true);
    expect((await limiter.admit('198.51.100.1')).state.blocked).toBe(false);
    clock.advance(60_000);
    expect((await limiter.admit('203.0.113.7')).state.blocked).toBe(false);
  });

  it('passes a request on a store in memory without a promise, and the same way when the store answers with one', async () => {
    const { limiter } = setup();
    const direct = limiter.admit('203.0.113.7');
    expect(direct).not.toBeInstanceOf(Promise);
    const clock = new ManualClock(start);
    const store = new MemoryRateLimitStore(clock);
    const remote = new AuthFailureLimiter({ store: { add: (k, d, e) => store.add(k, d, e), get: async (k) => store.get(k) }, clock, limit, windowSeconds: 60 });
    const awaited = remote.admit('203.0.113.7');
    expect(awaited).toBeInstanceOf(Promise);
    expect((await awaited).state).toEqual((direct as Awaited<typeof direct>).state);
    // Both hold a place in flight until settled: limit - 1 more requests fill the limit, the next is turned away.
    for (let i = 0; i < limit - 1; i++) expect((await limiter.admit('203.0.113.7')).state.blocked).toBe(false);
    expect((await limiter.admit('203.0.113.7')).state.blocked).toBe(true);
  });

  it('still counts a failure on this instance when the shared counter cannot be written', async () => {
    const clock = new ManualClock(start);
    const down: RateLimitStore = { add: () => Promise.reject(new Error('down')), get: async () => 0 };
    const limiter = new AuthFailureLimiter({ store: down, clock, limit: 1, windowSeconds: 60 });
    await (await limiter.admit('203.0.113.7')).settle(true);
    expect((await limiter.admit('203.0.113.7')).state.blocked).toBe(true);
  });
});
