import type { Redis } from 'ioredis';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import type { Clock } from '../clock.js';
import { redisUnavailable } from './redis-connection.js';
import type { RateLimitStore } from './types.js';

export interface RedisRateLimitStoreOptions {
  redis: Redis;
  /** Key prefix shared by every instance (SIGNET_REDIS_PREFIX). */
  prefix: string;
  clock: Clock;
}

/**
 * Rate-limit counters shared by every instance, kept by rate-limiter-flexible's Redis limiter
 * (penalty and reward run one Lua script: an atomic add that sets the expiry of a new counter).
 * As with the memory store, the caller puts the window in the key and the expiry only frees
 * memory. Redis unreachable: 503 service_unavailable (limits are not silently lifted).
 */
export class RedisRateLimitStore implements RateLimitStore {
  private readonly limiter: RateLimiterRedis;

  constructor(private readonly options: RedisRateLimitStoreOptions) {
    this.limiter = new RateLimiterRedis({
      storeClient: options.redis,
      keyPrefix: `${options.prefix}rl`,
      points: 1,
      duration: 1,
      // Refuse at once while disconnected rather than queue behind a reconnect.
      rejectIfRedisNotReady: true,
    });
  }

  async add(key: string, delta: number, expiresAtMs: number): Promise<number> {
    const customDuration = Math.max(1, Math.ceil((expiresAtMs - this.options.clock.now()) / 1000));
    try {
      const result = delta >= 0 ? await this.limiter.penalty(key, delta, { customDuration }) : await this.limiter.reward(key, -delta, { customDuration });
      return result.consumedPoints;
    } catch (error) {
      throw redisUnavailable('The rate-limit store (Redis)', error);
    }
  }

  async get(key: string): Promise<number> {
    try {
      return (await this.limiter.get(key))?.consumedPoints ?? 0;
    } catch (error) {
      throw redisUnavailable('The rate-limit store (Redis)', error);
    }
  }
}
