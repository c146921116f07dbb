import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { MemoryRateLimitStore } from '../../src/store/memory-rate-limit-store.js';

const T0 = Date.UTC(2026, 0, 1);

describe('the memory rate-limit store', () => {
  it('adds and gives back atomically, and reads 0 for a counter it does not have', async () => {
    const store = new MemoryRateLimitStore(new ManualClock(T0));
    expect(await store.get('a')).toBe(0);
    expect(await store.add('a', 1, T0 + 1000)).toBe(1);
    expect(await store.add('a', 2, T0 + 1000)).toBe(3);
    expect(await store.add('a', -1, T0 + 1000)).toBe(2);
    expect(await store.get('a')).toBe(2);
    expect(await store.get('b')).toBe(0);
  });

  it('lets a counter expire on the injected clock and starts it afresh, with a new expiry', async () => {
    const clock = new ManualClock(T0);
    const store = new MemoryRateLimitStore(clock);
    await store.add('w', 3, T0 + 1000);
    clock.advance(999);
    expect(await store.get('w')).toBe(3);
    // The expiry is set when the counter is created: adding does not extend it.
    expect(await store.add('w', 1, T0 + 5000)).toBe(4);
    clock.advance(1);
    expect(await store.get('w')).toBe(0);
    expect(await store.add('w', 2, T0 + 3000)).toBe(2);
    clock.advance(1999);
    expect(await store.get('w')).toBe(2);
    clock.advance(1);
    expect(await store.get('w')).toBe(0);
  });

  it('counts concurrent additions exactly', async () => {
    const store = new MemoryRateLimitStore(new ManualClock(T0));
    const results = await Promise.all(Array.from({ length: 200 }, () => store.add('k', 1, T0 + 60_000)));
    expect(new Set(results).size).toBe(200);
    expect(Math.max(...results)).toBe(200);
  });

  it('keeps counters longer than a Node timer can wait (monthly windows) and sweeps them once expired', async () => {
    const clock = new ManualClock(T0);
    const store = new MemoryRateLimitStore(clock);
    const month = 31 * 86_400_000;
    await store.add('long', 5, T0 + month);
    expect(await store.get('long')).toBe(5);
    clock.advance(month + 1);
    // Sweeps run as long-lived counters accumulate; fill past the first threshold.
    for (let i = 0; i < 1100; i++) await store.add(`other-${i}`, 1, clock.now() + month);
    expect(await store.get('long')).toBe(0);
    expect(await store.get('other-0')).toBe(1);
  });
});
