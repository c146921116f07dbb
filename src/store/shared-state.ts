import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import { MemoryEventBus } from './memory-event-bus.js';
import { MemoryRateLimitStore } from './memory-rate-limit-store.js';
import { MemoryReplayStore } from './memory-replay-store.js';
import { closeRedis, openRedis, waitForRedis } from './redis-connection.js';
import { RedisEventBus } from './redis-event-bus.js';
import { RedisRateLimitStore } from './redis-rate-limit-store.js';
import { RedisReplayStore } from './redis-replay-store.js';
import { SequentialFreshTokenCounter } from './sequential-fresh-token-counter.js';
import type { EventBus, FreshTokenCounter, RateLimitStore, ReplayHighWater, ReplayStore, SharedStateHealth } from './types.js';

/** The structured logging the stores need (pino's logger fits). */
export interface StoreLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/** The fast state of one instance that several instances must share: replay cache, rate limits, events. */
export interface SharedState {
  kind: 'memory' | 'redis';
  replay: ReplayStore;
  rateLimits: RateLimitStore;
  /** The replay check with the rate-limit adds of a fresh token, in one call (one round trip on Redis). */
  freshTokens: FreshTokenCounter;
  events: EventBus;
  /** Present for Redis: /readyz pings it. */
  health?: SharedStateHealth;
  close(): Promise<void>;
}

export type SharedStateConfig = Pick<Config, 'redisUrl' | 'redisPrefix' | 'redisTimeoutMs' | 'replayCapacity' | 'clockSkewSeconds'>;

/** While Redis stays unreachable, one line per connection at most this often. */
const ERROR_LOG_INTERVAL_MS = 30_000;

export async function openSharedState(config: SharedStateConfig, clock: Clock, log?: StoreLog, highWater?: ReplayHighWater): Promise<SharedState> {
  if (config.redisUrl === undefined) {
    const replay = new MemoryReplayStore({ clock, capacity: config.replayCapacity });
    const rateLimits = new MemoryRateLimitStore(clock);
    return {
      kind: 'memory',
      replay,
      rateLimits,
      freshTokens: new SequentialFreshTokenCounter(replay, rateLimits),
      events: new MemoryEventBus(),
      close: async () => undefined,
    };
  }
  const url = config.redisUrl;
  const connection = (role: 'commands' | 'events') => {
    let down = false;
    let lastLogged = 0;
    return openRedis(
      { url, timeoutMs: config.redisTimeoutMs, connectionName: `signet-${role}`, subscriber: role === 'events', autoPipelining: role === 'commands' },
      {
        onError: (error) => {
          const now = Date.now();
          if (now - lastLogged < ERROR_LOG_INTERVAL_MS) return;
          lastLogged = now;
          down = true;
          log?.error({ redis: role, err: error }, 'Redis unreachable: signed requests get 503 until it is back; reconnecting');
        },
        onReady: () => {
          if (down) log?.info({ redis: role }, 'Redis reconnected');
          down = false;
          lastLogged = 0;
        },
      },
    );
  };
  const commands = connection('commands');
  const subscriber = connection('events');
  try {
    await waitForRedis(commands, config.redisTimeoutMs * 5);
  } catch (error) {
    // Not fatal: the server starts, refuses signed requests with 503 and recovers once Redis answers.
    log?.error({ err: error }, 'Redis is not reachable at start; continuing, signed requests get 503 until it is');
  }
  void warnIfEvicting(commands, log);
  const prefix = config.redisPrefix;
  // One store on one connection does both the replay check and the rate-limit adds in one script.
  const replay = new RedisReplayStore({ redis: commands, prefix, clock, clockSkewMs: config.clockSkewSeconds * 1000, ...(highWater !== undefined ? { highWater } : {}) });
  return {
    kind: 'redis',
    replay,
    rateLimits: new RedisRateLimitStore({ redis: commands, prefix, clock }),
    freshTokens: replay,
    events: new RedisEventBus({ publisher: commands, subscriber, prefix, onError: (error) => log?.warn({ err: error }, 'event bus: Redis call failed') }),
    health: {
      ping: async () => {
        await commands.ping();
        if (subscriber.status !== 'ready') throw new Error('the event subscription is not connected');
      },
    },
    close: async () => {
      await Promise.all([closeRedis(commands), closeRedis(subscriber)]);
    },
  };
}

/** An evicting Redis may drop a one-time token before it expires, which would let it be replayed. */
async function warnIfEvicting(redis: ReturnType<typeof openRedis>, log?: StoreLog): Promise<void> {
  try {
    const answer = (await redis.config('GET', 'maxmemory-policy')) as unknown as string[];
    const policy = answer[1];
    if (policy !== undefined && policy !== 'noeviction') {
      log?.warn(
        { maxmemory_policy: policy },
        'Redis may evict keys (maxmemory-policy is not noeviction): an evicted one-time token could be replayed; set maxmemory-policy noeviction (docs/deployment.md)',
      );
    }
  } catch {
    // CONFIG is often disabled on managed Redis; the documentation states the requirement.
  }
}
