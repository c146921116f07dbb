import { type Redis } from 'ioredis';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { MemoryRateLimitStore } from '../../src/store/memory-rate-limit-store.js';
import { closeRedis, openRedis, waitForRedis } from '../../src/store/redis-connection.js';
import { RedisRateLimitStore } from '../../src/store/redis-rate-limit-store.js';
import { dropRedisPrefix, redisTestPrefix, servicesAvailable } from '../helpers/services.js';
import { freePort } from '../helpers/redis-server.js';
import { REDIS_URL } from '../helpers/test-env.js';
import { rateLimitStoreContract } from './rate-limit-store.contract.js';

const T0 = Date.UTC(2026, 0, 1);

rateLimitStoreContract('memory', async () => {
  const clock = new ManualClock(T0);
  return { store: new MemoryRateLimitStore(clock), now: () => clock.now(), close: async () => undefined };
});

if (servicesAvailable('the Redis rate-limit store suites', { redis: true })) {
  const url = REDIS_URL!;
  rateLimitStoreContract('Redis', async () => {
    const prefix = redisTestPrefix('rate-contract');
    const clock = new ManualClock(T0);
    // As the server opens its command connection: concurrent commands share one write.
    const redis = openRedis({ url, timeoutMs: 1000, autoPipelining: true });
    await waitForRedis(redis, 5000);
    return {
      store: new RedisRateLimitStore({ redis, prefix, clock }),
      now: () => clock.now(),
      close: async () => {
        await closeRedis(redis);
        await dropRedisPrefix(url, prefix);
      },
    };
  });

  describe('the Redis rate-limit store', () => {
    const cleanup: Array<() => Promise<void>> = [];
    afterAll(async () => {
      for (const step of cleanup) await step();
    });

    it('keeps counters under the prefix, expiring when asked (seconds, rounded up)', async () => {
      const prefix = redisTestPrefix('rate');
      const redis = openRedis({ url, timeoutMs: 1000 });
      cleanup.push(
        () => closeRedis(redis),
        () => dropRedisPrefix(url, prefix),
      );
      await waitForRedis(redis, 5000);
      const clock = new ManualClock(T0);
      const store = new RedisRateLimitStore({ redis, prefix, clock });
      await store.add('consumer:c1:minute', 1, T0 + 70_500);
      const keys = await redis.keys(`${prefix}*`);
      expect(keys).toEqual([`${prefix}rl:consumer:c1:minute`]);
      const ttl = await redis.ttl(keys[0]!);
      expect(ttl).toBeGreaterThan(60);
      expect(ttl).toBeLessThanOrEqual(71);
    });

    it('two stores on one Redis and prefix (two instances) count into the same counter', async () => {
      const prefix = redisTestPrefix('rate-shared');
      const a = openRedis({ url, timeoutMs: 1000 });
      const b = openRedis({ url, timeoutMs: 1000 });
      cleanup.push(
        () => closeRedis(a),
        () => closeRedis(b),
        () => dropRedisPrefix(url, prefix),
      );
      await Promise.all([waitForRedis(a, 5000), waitForRedis(b, 5000)]);
      const clock = new ManualClock(T0);
      const storeA = new RedisRateLimitStore({ redis: a, prefix, clock });
      const storeB = new RedisRateLimitStore({ redis: b, prefix, clock });
      const counts = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? storeA : storeB).add('shared', 1, T0 + 60_000)));
      expect(Math.max(...counts)).toBe(40);
      expect(await storeB.get('shared')).toBe(40);
    });

    it('reads the counters of concurrent requests in one MGET, each read answered with its own counter', async () => {
      const prefix = redisTestPrefix('rate-reads');
      const redis = openRedis({ url, timeoutMs: 1000, autoPipelining: true });
      cleanup.push(
        () => closeRedis(redis),
        () => dropRedisPrefix(url, prefix),
      );
      await waitForRedis(redis, 5000);
      const store = new RedisRateLimitStore({ redis, prefix, clock: new ManualClock(T0) });
      await store.add('address:a', 3, T0 + 60_000);
      await store.add('address:b', 5, T0 + 60_000);
      const mget = vi.spyOn(redis, 'mget');
      expect(await Promise.all(['address:a', 'address:b', 'address:a', 'address:none'].map((key) => store.get(key)))).toEqual([3, 5, 3, 0]);
      expect(mget).toHaveBeenCalledTimes(1);
      // The distinct keys, each asked for once.
      expect(mget.mock.calls[0]![0]).toEqual([`${prefix}rl:address:a`, `${prefix}rl:address:b`, `${prefix}rl:address:none`]);
      mget.mockRestore();
    });

    it('fails with 503 service_unavailable, at once, when Redis is unreachable (limits are not lifted)', async () => {
      const redis: Redis = openRedis({ url: `redis://127.0.0.1:${await freePort()}`, timeoutMs: 200 });
      cleanup.push(() => closeRedis(redis));
      const store = new RedisRateLimitStore({ redis, prefix: 'x:', clock: new ManualClock(T0) });
      await expect(store.add('k', 1, T0 + 60_000)).rejects.toMatchObject({ code: 'service_unavailable', status: 503 });
      await expect(store.get('k')).rejects.toMatchObject({ code: 'service_unavailable', status: 503 });
    });
  });
}
