import { Redis } from 'ioredis';
import { describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { MemoryRateLimitStore } from '../../src/store/memory-rate-limit-store.js';
import { MemoryReplayStore } from '../../src/store/memory-replay-store.js';
import { closeRedis, openRedis, waitForRedis } from '../../src/store/redis-connection.js';
import { RedisRateLimitStore } from '../../src/store/redis-rate-limit-store.js';
import { RedisReplayStore } from '../../src/store/redis-replay-store.js';
import { SequentialFreshTokenCounter } from '../../src/store/sequential-fresh-token-counter.js';
import { dropRedisPrefix, redisTestPrefix, seedReplayEpoch, servicesAvailable } from '../helpers/services.js';
import { REDIS_URL } from '../helpers/test-env.js';
import { freshTokenCounterContract } from './fresh-token-counter.contract.js';

const T0 = Date.UTC(2026, 0, 1);

freshTokenCounterContract(
  'memory stores',
  async () => {
    const clock = new ManualClock(T0);
    const rateLimits = new MemoryRateLimitStore(clock);
    const replay = new MemoryReplayStore({ clock, capacity: 10_000 });
    return { store: new SequentialFreshTokenCounter(replay, rateLimits), rateLimits, clock, close: async () => undefined };
  },
  { canLoseHistory: false },
);

if (servicesAvailable('the Redis fresh-token counter suite', { redis: true })) {
  const url = REDIS_URL!;
  freshTokenCounterContract(
    'Redis (one script)',
    async () => {
      const prefix = redisTestPrefix('fresh-token');
      await seedReplayEpoch(url, prefix);
      const clock = new ManualClock(T0);
      // As the server opens its command connection: concurrent commands share one write.
      const redis = openRedis({ url, timeoutMs: 1000, autoPipelining: true });
      await waitForRedis(redis, 5000);
      return {
        store: new RedisReplayStore({ redis, prefix, clock, clockSkewMs: 60_000 }),
        rateLimits: new RedisRateLimitStore({ redis, prefix, clock }),
        clock,
        loseHistory: async (epochMs) => {
          const admin = new Redis(url);
          await admin.set(`${prefix}replay-epoch`, String(epochMs));
          admin.disconnect();
        },
        close: async () => {
          await closeRedis(redis);
          await dropRedisPrefix(url, prefix);
        },
      };
    },
    { canLoseHistory: true },
  );
}

if (servicesAvailable('the Redis fresh-token counter expiry test', { redis: true })) {
  describe('the Redis fresh-token counter', () => {
    /** A Redis replay store on a prefix of its own, dropped after `use`. */
    async function withRedisStore(name: string, use: (store: RedisReplayStore, redis: Redis, prefix: string) => Promise<void>): Promise<void> {
      const url = REDIS_URL!;
      const prefix = redisTestPrefix(name);
      await seedReplayEpoch(url, prefix);
      const redis = openRedis({ url, timeoutMs: 1000, autoPipelining: true });
      try {
        await waitForRedis(redis, 5000);
        await use(new RedisReplayStore({ redis, prefix, clock: new ManualClock(T0), clockSkewMs: 60_000 }), redis, prefix);
      } finally {
        await closeRedis(redis);
        await dropRedisPrefix(url, prefix);
      }
    }

    it('gives a counter it creates the expiry the rate-limit store would, and keeps the expiry of one that exists', async () => {
      await withRedisStore('fresh-token-ttl', async (store, redis, prefix) => {
        const counter = { key: 'consumer:c:per_minute:60:0', expiresAtMs: T0 + 70_000 };
        await store.checkAndSetThenCount('key_ttl', 'jti-1', T0 + 60_000, T0, [counter]);
        const ttl = await redis.ttl(`${prefix}rl:${counter.key}`);
        expect(ttl).toBeGreaterThan(60);
        expect(ttl).toBeLessThanOrEqual(70);
        await store.checkAndSetThenCount('key_ttl', 'jti-2', T0 + 60_000, T0, [{ ...counter, expiresAtMs: T0 + 5_000_000 }]);
        expect(await redis.ttl(`${prefix}rl:${counter.key}`)).toBeLessThanOrEqual(70);
      });
    });

    it('in one batch of concurrent requests, counts the fresh tokens with their own counters and the replayed one not at all', async () => {
      await withRedisStore('fresh-token-batch', async (store, redis, prefix) => {
        const shared = { key: 'consumer:c:per_minute:60:0', expiresAtMs: T0 + 70_000 };
        const own = { key: 'consumer:d:per_minute:60:0', expiresAtMs: T0 + 70_000 };
        await store.checkAndSetThenCount('key_a', 'used', T0 + 60_000, T0, [shared]);
        const script = vi.spyOn(redis as unknown as { signetReplayCheckAndSetBatch: (...args: unknown[]) => unknown }, 'signetReplayCheckAndSetBatch');
        const answers = await Promise.all([
          store.checkAndSetThenCount('key_a', 'used', T0 + 60_000, T0, [shared]),
          store.checkAndSetThenCount('key_a', 'new-1', T0 + 60_000, T0, [shared]),
          store.checkAndSetThenCount('key_d', 'new-2', T0 + 60_000, T0, []),
          store.checkAndSetThenCount('key_d', 'new-3', T0 + 60_000, T0, [own, shared]),
        ]);
        // Called on the connection once (ioredis's auto-pipeline then calls its copy of it: not counted).
        expect(script.mock.contexts.filter((context) => context === redis)).toHaveLength(1);
        script.mockRestore();
        expect(answers).toEqual([
          { verdict: 'replayed', counts: [] },
          { verdict: 'fresh', counts: [2] },
          { verdict: 'fresh', counts: [] },
          { verdict: 'fresh', counts: [1, 3] },
        ]);
        expect(Number(await redis.get(`${prefix}rl:${shared.key}`))).toBe(3);
      });
    });
  });
}

describe('SequentialFreshTokenCounter on memory stores', () => {
  it('answers a token without rate-limit windows synchronously, fresh once and replayed after', () => {
    const clock = new ManualClock(T0);
    const store = new SequentialFreshTokenCounter(new MemoryReplayStore({ clock, capacity: 100 }), new MemoryRateLimitStore(clock));
    expect(store.checkAndSetThenCount('key_sync', 'jti-sync', T0 + 60_000, T0, [])).toEqual({ verdict: 'fresh', counts: [] });
    expect(store.checkAndSetThenCount('key_sync', 'jti-sync', T0 + 60_000, T0, [])).toEqual({ verdict: 'replayed', counts: [] });
  });
});
