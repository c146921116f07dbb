import { Redis } from 'ioredis';
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
