import { Redis } from 'ioredis';
import { SignetError } from '../protocol/errors.js';

export interface RedisOptions {
  /** redis:// or rediss:// URL (user, password, host, port, database number). */
  url: string;
  /** Longest wait for a connection or for one command's answer. */
  timeoutMs: number;
  /** Shown by CLIENT LIST. */
  connectionName?: string;
  /** A pub/sub connection: its owner renews the subscription itself after a reconnect. */
  subscriber?: boolean;
  /**
   * Commands issued in the same tick of the event loop leave in one write (ioredis auto-pipelining):
   * under load the replay checks and counter updates of many concurrent requests share one
   * round trip's system calls instead of one each. Each command and script stays atomic on its own.
   */
  autoPipelining?: boolean;
}

/** Connection state changes, for logging and for the event bus (which must know when it was deaf). */
export interface RedisStateListener {
  onError?(error: Error): void;
  onReady?(): void;
  onClose?(): void;
}

/** Longest pause between reconnection attempts. */
const MAX_RECONNECT_DELAY_MS = 2_000;

/**
 * An ioredis connection that never makes a request wait for Redis: commands are refused at once
 * while the connection is down (no offline queue), time out after `timeoutMs`, and are not
 * retried after a reconnect (a replay check resent later could be answered for a token the caller
 * has long given up on). Reconnection runs by itself, forever, with a capped back-off.
 */
export function openRedis(options: RedisOptions, listener: RedisStateListener = {}): Redis {
  const redis = new Redis(options.url, {
    connectionName: options.connectionName ?? 'signet',
    connectTimeout: options.timeoutMs,
    commandTimeout: options.timeoutMs,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 10), MAX_RECONNECT_DELAY_MS),
    // A failover leaves clients on a replica that refuses writes: reconnect to find the new primary.
    reconnectOnError: (error) => /READONLY/.test(error.message),
    autoResubscribe: options.subscriber !== true,
    lazyConnect: false,
    enableAutoPipelining: options.autoPipelining === true,
  });
  // Without an 'error' listener ioredis prints every failed reconnection to the console.
  redis.on('error', (error: Error) => listener.onError?.(error));
  redis.on('ready', () => listener.onReady?.());
  redis.on('close', () => listener.onClose?.());
  return redis;
}

/** Waits until the connection is ready, or fails after `timeoutMs` (startup: a wrong URL is reported, not waited on for ever). */
export async function waitForRedis(redis: Redis, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`Redis is not reachable after ${timeoutMs} ms`));
    }, timeoutMs);
    const onReady = () => {
      cleanup();
      resolve();
    };
    const onEnd = () => {
      cleanup();
      reject(new Error('the Redis connection was closed'));
    };
    const cleanup = () => {
      clearTimeout(timer);
      redis.off('ready', onReady);
      redis.off('end', onEnd);
    };
    redis.on('ready', onReady);
    redis.on('end', onEnd);
  });
}

/** Closes a connection without waiting on a server that may be gone. */
export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === 'end') return;
  try {
    await Promise.race([redis.quit(), new Promise((resolve) => setTimeout(resolve, 500).unref())]);
  } catch {
    // quit fails when the connection is down; disconnect below ends it either way.
  }
  redis.disconnect();
}

/** Redis refused memory (maxmemory reached with the noeviction policy). */
export function isRedisOutOfMemory(error: unknown): boolean {
  return /^OOM\b/.test(String((error as Error | null)?.message ?? ''));
}

/**
 * 503 service_unavailable for a failed Redis call. The public sentence says what the caller can
 * do; the driver's message goes to the log only.
 */
export function redisUnavailable(what: string, error: unknown): SignetError {
  return new SignetError('service_unavailable', {
    detail: `${what} is unreachable, so the server cannot safely accept this request; retry in a few seconds.`,
    privateDetail: `redis: ${String((error as Error | null)?.message ?? error)}`,
    cause: error,
  });
}
