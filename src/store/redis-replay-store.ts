import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Clock } from '../clock.js';
import { SignetError } from '../protocol/errors.js';
import { isRedisOutOfMemory, redisUnavailable } from './redis-connection.js';
import { rateLimitKey } from './redis-rate-limit-store.js';
import type { CounterIncrement, FreshTokenCounter, ReplayHighWater, ReplayStore, ReplayVerdict } from './types.js';

export interface RedisReplayStoreOptions {
  redis: Redis;
  /** Key prefix shared by every instance (SIGNET_REDIS_PREFIX). */
  prefix: string;
  clock: Clock;
  /** SIGNET_CLOCK_SKEW in ms: how far before its iat a token may already have been accepted. */
  clockSkewMs: number;
  /**
   * The durable record of how far accepted tokens reach. With it, an empty Redis starts its
   * history at that mark (none: at once) instead of at "now", so a fresh deployment does not
   * refuse its first minute of requests; a Redis that lost its data still refuses the tokens it
   * may have accepted. Without it, every empty Redis is taken for one that lost its data.
   */
  highWater?: ReplayHighWater;
}

/** How far ahead of an acceptance the high-water mark is written, so that one write covers many. */
const HIGH_WATER_LEASE_MS = 10_000;

/**
 * One atomic step on the Redis server. KEYS[1] is the epoch marker: the time from which this
 * Redis holds every accepted one-time token, written once and never expiring. If it is missing,
 * Redis has no history (first start, or restarted without its data): it is written with ARGV[3]
 * when given, else the script answers -2 so the caller can find out, from the durable high-water
 * mark, how far back the missing history could reach. A token that may have been accepted before
 * the epoch (its earliest use, iat - skew, at or before it) cannot be checked and is refused with
 * the epoch (-1); otherwise SET NX with an expiry answers 1 (fresh) or 0 (replayed). ARGV: 1 entry
 * lifetime in ms, 2 the earliest moment the token could have been used (ms), 3 the epoch to write
 * if none (ms, or empty).
 *
 * Only when the token is fresh, KEYS[3] onwards are rate-limit counters, each added 1 to as the
 * rate-limit store's script does (INCRBY, and ARGV[3 + i] as the expiry in seconds of a new one);
 * their new values follow the epoch in the answer. So a request's replay check and rate-limit
 * windows cost one round trip, and a replayed token counts nothing.
 */
const CHECK_AND_SET_LUA = `
local epoch = redis.call('GET', KEYS[1])
if not epoch then
  if ARGV[3] == '' then return {-2, ''} end
  redis.call('SET', KEYS[1], ARGV[3])
  epoch = ARGV[3]
end
if tonumber(ARGV[2]) <= tonumber(epoch) then return {-1, epoch} end
if not redis.call('SET', KEYS[2], '1', 'PX', ARGV[1], 'NX') then return {0, epoch} end
local answer = {1, epoch}
for i = 3, #KEYS do
  local count = redis.call('INCRBY', KEYS[i], 1)
  if redis.call('TTL', KEYS[i]) == -1 then redis.call('EXPIRE', KEYS[i], ARGV[i + 1]) end
  answer[i] = count
end
return answer
`;

type ScriptedRedis = Redis & {
  /** Keys: epoch, entry, counters...; then ARGV: lifetime, earliest use, epoch if none, counter expiries... */
  signetReplayCheckAndSet(numberOfKeys: number, ...keysAndArgs: string[]): Promise<[number, string, ...number[]]>;
};

const NO_COUNTERS: readonly CounterIncrement[] = Object.freeze([]);

/** Entries this instance wrote, counted per 10-second expiry bucket (for the replay-size gauge). */
const BUCKET_MS = 10_000;

/**
 * The replay store shared by every instance: one Redis key per (key id, jti), set if absent with
 * an expiry, in one atomic script. Redis unreachable means the check fails closed: 503
 * service_unavailable, never a token let through unchecked. Redis out of memory is 503
 * replay_store_full, as for the memory store at capacity. Redis must not evict these keys
 * (maxmemory-policy noeviction; docs/deployment.md).
 */
export class RedisReplayStore implements ReplayStore, FreshTokenCounter {
  private readonly redis: ScriptedRedis;
  private readonly epochKey: string;
  private readonly written = new Map<number, number>();
  /** The epoch last seen in Redis (ms), for refusingUntil. */
  private epoch: number | undefined;
  /** How far the high-water mark is known to be written (ms). */
  private coveredUntil = Number.NEGATIVE_INFINITY;
  private raising: Promise<void> | undefined;

  constructor(private readonly options: RedisReplayStoreOptions) {
    this.redis = options.redis as ScriptedRedis;
    if (typeof this.redis.signetReplayCheckAndSet !== 'function') {
      // The number of keys varies with the counters, so each call passes it first.
      this.redis.defineCommand('signetReplayCheckAndSet', { lua: CHECK_AND_SET_LUA });
    }
    this.epochKey = `${options.prefix}replay-epoch`;
  }

  async checkAndSet(kid: string, jti: string, expiresAtMs: number, issuedAtMs: number): Promise<ReplayVerdict> {
    return (await this.checkAndSetThenCount(kid, jti, expiresAtMs, issuedAtMs, NO_COUNTERS)).verdict;
  }

  /**
   * The counters are the rate-limit store's (RedisRateLimitStore with the same prefix, on the same
   * Redis): keys and values as its add() keeps them.
   */
  async checkAndSetThenCount(kid: string, jti: string, expiresAtMs: number, issuedAtMs: number, counters: readonly CounterIncrement[]): Promise<{ verdict: ReplayVerdict; counts: number[] }> {
    const now = this.options.clock.now();
    const ttlMs = Math.max(1, Math.ceil(expiresAtMs - now));
    const earliestUseMs = issuedAtMs - this.options.clockSkewMs;
    const highWater = this.options.highWater;
    const call = { entryKey: this.entryKey(kid, jti), ttlMs, earliestUseMs, counters, now };
    // Without a durable mark, an empty Redis can only start its history now.
    let answer = await this.script(call, highWater === undefined ? String(now) : '');
    if (answer[0] === -2) {
      // Empty Redis: its history starts where accepted tokens may reach (nothing accepted ever: at once).
      answer = await this.script(call, String((await this.readHighWater()) ?? 0));
    }
    const [result, epoch, ...counts] = answer;
    this.epoch = Number(epoch);
    if (result === -1) throw historyLost(Number(epoch), issuedAtMs, this.options.clockSkewMs, now);
    if (result === 0) return { verdict: 'replayed', counts: [] };
    // The token is answered as accepted only once the durable mark covers this moment.
    if (highWater !== undefined) await this.cover(now);
    this.count(expiresAtMs);
    return { verdict: 'fresh', counts: counts.map(Number) };
  }

  refusingUntil(): number | undefined {
    if (this.epoch === undefined) return undefined;
    const until = this.epoch + this.options.clockSkewMs;
    return until > this.options.clock.now() ? until : undefined;
  }

  private async script(
    call: { entryKey: string; ttlMs: number; earliestUseMs: number; counters: readonly CounterIncrement[]; now: number },
    epochIfNone: string,
  ): Promise<[number, string, ...number[]]> {
    const { counters, now } = call;
    const counterKeys = counters.map((counter) => rateLimitKey(this.options.prefix, counter.key));
    // As RedisRateLimitStore.add: whole seconds, at least one.
    const counterTtls = counters.map((counter) => String(Math.max(1, Math.ceil((counter.expiresAtMs - now) / 1000))));
    try {
      return await this.redis.signetReplayCheckAndSet(2 + counters.length, this.epochKey, call.entryKey, ...counterKeys, String(call.ttlMs), String(call.earliestUseMs), epochIfNone, ...counterTtls);
    } catch (error) {
      if (isRedisOutOfMemory(error)) {
        throw new SignetError('replay_store_full', {
          detail: 'The server is holding as many one-time tokens as it can; retry in a few seconds.',
          privateDetail: 'redis refused the replay entry: maxmemory reached',
          cause: error,
        });
      }
      throw redisUnavailable('The replay cache (Redis)', error);
    }
  }

  private async readHighWater(): Promise<number | undefined> {
    try {
      return await this.options.highWater!.read();
    } catch (error) {
      throw highWaterUnavailable(error);
    }
  }

  /**
   * Makes sure the durable mark reaches past `now`: awaited when it does not yet, renewed in the
   * background when half its lease is gone, one write at a time.
   */
  private async cover(now: number): Promise<void> {
    if (now <= this.coveredUntil - HIGH_WATER_LEASE_MS / 2) return;
    this.raising ??= (async () => {
      const until = this.options.clock.now() + HIGH_WATER_LEASE_MS;
      try {
        await this.options.highWater!.raise(until);
        this.coveredUntil = Math.max(this.coveredUntil, until);
      } finally {
        this.raising = undefined;
      }
    })();
    const raising = this.raising;
    if (now <= this.coveredUntil) {
      raising.catch(() => undefined);
      return;
    }
    try {
      await raising;
    } catch (error) {
      throw highWaterUnavailable(error);
    }
  }

  /** Live entries written by this instance (the whole store is the sum over instances). */
  size(): number {
    const current = Math.floor(this.options.clock.now() / BUCKET_MS);
    let total = 0;
    for (const [bucket, count] of this.written) {
      if (bucket < current) this.written.delete(bucket);
      else total += count;
    }
    return total;
  }

  private count(expiresAtMs: number): void {
    const bucket = Math.floor(expiresAtMs / BUCKET_MS);
    this.written.set(bucket, (this.written.get(bucket) ?? 0) + 1);
  }

  /** The jti is the client's text: hashed to a fixed, short, printable part of the key. */
  private entryKey(kid: string, jti: string): string {
    return `${this.options.prefix}replay:${kid}:${createHash('sha256').update(jti).digest('base64url').slice(0, 22)}`;
  }
}

function historyLost(epochMs: number, issuedAtMs: number, clockSkewMs: number, now: number): SignetError {
  // A token issued now becomes acceptable once iat - skew is past the epoch.
  const retryAfter = Math.max(1, Math.ceil((epochMs + clockSkewMs - now) / 1000) + 1);
  return new SignetError('service_unavailable', {
    detail: `The replay cache restarted empty at ${new Date(epochMs).toISOString()}; a token issued before it (plus the allowed clock skew) cannot be checked for reuse. Sign the request again in ${retryAfter} s.`,
    privateDetail: `replay history lost: epoch ${epochMs}, token iat ${issuedAtMs}`,
    extra: { retry_after: retryAfter },
  });
}

function highWaterUnavailable(error: unknown): SignetError {
  return new SignetError('service_unavailable', {
    detail: 'The database is unavailable right now, so the server cannot record how far accepted tokens reach; retry in a few seconds.',
    privateDetail: `replay high-water mark: ${String((error as Error | null)?.message ?? error)}`,
    cause: error,
  });
}
