import type { Redis } from 'ioredis';
import type { Clock } from '../clock.js';
import { CommandBatcher } from './command-batcher.js';
import { redisUnavailable } from './redis-connection.js';
import type { RateLimitStore } from './types.js';

export interface RedisRateLimitStoreOptions {
  redis: Redis;
  /** Key prefix shared by every instance (SIGNET_REDIS_PREFIX). */
  prefix: string;
  clock: Clock;
}

/**
 * One atomic add on the Redis server: INCRBY, and an expiry for a counter that has none yet (a new
 * one). ARGV: 1 the delta, 2 the expiry in whole seconds.
 */
const ADD_LUA = `
local count = redis.call('INCRBY', KEYS[1], ARGV[1])
if redis.call('TTL', KEYS[1]) == -1 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
return count
`;

/** The Redis key of a rate-limit counter (the replay store's script adds to the same counters). */
export function rateLimitKey(prefix: string, key: string): string {
  return `${prefix}rl:${key}`;
}

type ScriptedRedis = Redis & { signetRateLimitAdd(key: string, delta: string, ttlSeconds: string): Promise<number> };

/**
 * Rate-limit counters shared by every instance. Hand-written rather than rate-limiter-flexible's
 * Redis limiter (used before) because that one reads a counter with MULTI/GET/PTTL/EXEC, four
 * commands where one GET does, and the failure gate reads a counter on every request; the add is
 * one script either way. Keys keep the layout that library used (`<prefix>rl:<key>`), so counters
 * survive an upgrade. As with the memory store, the caller puts the window in the key and the
 * expiry only frees memory. Redis unreachable: 503 service_unavailable (limits are not silently
 * lifted).
 */
export class RedisRateLimitStore implements RateLimitStore {
  private readonly redis: ScriptedRedis;
  /**
   * Reads leave as one MGET per round trip (the failure gate reads a counter on every request;
   * concurrent requests from one address read the same one): each read still reaches Redis after
   * it was asked for.
   */
  private readonly reads = new CommandBatcher<string, string | null>((keys) => this.readMany(keys));

  constructor(private readonly options: RedisRateLimitStoreOptions) {
    this.redis = options.redis as ScriptedRedis;
    if (typeof this.redis.signetRateLimitAdd !== 'function') {
      this.redis.defineCommand('signetRateLimitAdd', { numberOfKeys: 1, lua: ADD_LUA });
    }
  }

  async add(key: string, delta: number, expiresAtMs: number): Promise<number> {
    if (!Number.isInteger(delta)) throw new TypeError('a rate-limit counter moves by whole units');
    const ttlSeconds = Math.max(1, Math.ceil((expiresAtMs - this.options.clock.now()) / 1000));
    try {
      return Number(await this.redis.signetRateLimitAdd(rateLimitKey(this.options.prefix, key), String(delta), String(ttlSeconds)));
    } catch (error) {
      throw redisUnavailable('The rate-limit store (Redis)', error);
    }
  }

  async get(key: string): Promise<number> {
    let value: string | null;
    try {
      value = await this.reads.call(rateLimitKey(this.options.prefix, key));
    } catch (error) {
      throw redisUnavailable('The rate-limit store (Redis)', error);
    }
    return value === null ? 0 : Number(value);
  }

  /** One MGET for a batch of reads, each distinct key asked for once. */
  private async readMany(keys: string[]): Promise<(string | null)[]> {
    if (keys.length === 1) return [await this.redis.get(keys[0]!)];
    const distinct = [...new Set(keys)];
    const values = await this.redis.mget(distinct);
    const byKey = new Map(distinct.map((key, i) => [key, values[i] ?? null]));
    return keys.map((key) => byKey.get(key)!);
  }
}
