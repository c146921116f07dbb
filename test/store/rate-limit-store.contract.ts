import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RateLimitStore } from '../../src/store/types.js';

export interface OpenedRateLimitStore {
  store: RateLimitStore;
  now(): number;
  close(): Promise<void>;
}

let run = 0;

/** The behaviour every RateLimitStore shares (memory; Redis when configured). */
export function rateLimitStoreContract(engine: string, open: () => Promise<OpenedRateLimitStore>): void {
  describe(`RateLimitStore contract on ${engine}`, () => {
    let opened: OpenedRateLimitStore;
    const key = (name: string) => `${name}:${run}`;
    beforeAll(async () => {
      opened = await open();
    });
    afterAll(async () => opened?.close());

    it('adds and gives back, and reads 0 for a counter it does not have', async () => {
      run++;
      const { store } = opened;
      const expiry = opened.now() + 60_000;
      expect(await store.get(key('a'))).toBe(0);
      expect(await store.add(key('a'), 1, expiry)).toBe(1);
      expect(await store.add(key('a'), 2, expiry)).toBe(3);
      expect(await store.add(key('a'), -1, expiry)).toBe(2);
      expect(await store.get(key('a'))).toBe(2);
      expect(await store.get(key('b'))).toBe(0);
    });

    it('counts concurrent additions exactly', async () => {
      run++;
      const results = await Promise.all(Array.from({ length: 100 }, () => opened.store.add(key('c'), 1, opened.now() + 60_000)));
      expect(new Set(results).size).toBe(100);
      expect(Math.max(...results)).toBe(100);
      expect(await opened.store.get(key('c'))).toBe(100);
    });

    it('keeps counters of different keys apart', async () => {
      run++;
      await opened.store.add(key('x'), 5, opened.now() + 60_000);
      expect(await opened.store.add(key('y'), 1, opened.now() + 60_000)).toBe(1);
    });

    it('accepts an expiry months away (monthly windows)', async () => {
      run++;
      expect(await opened.store.add(key('month'), 1, opened.now() + 40 * 86_400_000)).toBe(1);
      expect(await opened.store.get(key('month'))).toBe(1);
    });
  });
}
