import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Clock } from '../clock.js';
import { SignetError } from '../protocol/errors.js';
import { CommandBatcher } from './command-batcher.js';
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
 * One atomic step on the Redis server, for a batch of tokens (the replay steps of the requests that
 * reached it during the last round trip; CommandBatcher). KEYS[1] is the epoch marker: the time
 * from which this Redis holds every accepted one-time token, written once and never expiring. If it
 * is missing, Redis has no history (first start, or restarted without its data): it is written
 * with ARGV[1] when given, else the script answers {-2} so the callers can find out, from the
 * durable high-water mark, how far back the missing history could reach. Otherwise the answer
 * starts with the epoch, then has one verdict per token, in order: a token that may have been
 * accepted before the epoch (its earliest use, iat - skew, at or before it) cannot be checked and
 * is refused (-1); otherwise SET NX with an expiry answers 1 (fresh) or 0 (replayed).
 *
 * Per token, its KEYS are the entry, then its rate-limit counters; its ARGV are the entry lifetime
 * in ms, the earliest moment the token could have been used (ms), the number of counters, then
 * each counter's expiry in seconds. Only when the token is fresh, each counter is added 1 to as
 * the rate-limit store's script does (INCRBY, and the expiry for a new one), and its new value
 * follows the verdict. So a request's replay check and rate-limit windows cost one round trip,
 * shared with the other requests of its batch, and a replayed token counts nothing. The whole
 * batch is one script: two uses of one token, in one batch or not, find the entry one after the
 * other, and only the first is fresh.
 */
const CHECK_AND_SET_BATCH_LUA = `
local epoch = redis.call('GET', KEYS[1])
if not epoch then
  if ARGV[1] == '' then return {-2} end
  redis.call('SET', KEYS[1], ARGV[1])
  epoch = ARGV[1]
end
local epochMs = tonumber(epoch)
local answer = {epoch}
local k, a = 2, 2
while a <= #ARGV do
  local counters = tonumber(ARGV[a + 2])
  if tonumber(ARGV[a + 1]) <= epochMs then
    answer[#answer + 1] = -1
  elseif not redis.call('SET', KEYS[k], '1', 'PX', ARGV[a], 'NX') then
    answer[#answer + 1] = 0
  else
    answer[#answer + 1] = 1
    for i = 1, counters do
      local key = KEYS[k + i]
      local count = redis.call('INCRBY', key, 1)
      if redis.call('TTL', key) == -1 then redis.call('EXPIRE', key, ARGV[a + 2 + i]) end
      answer[#answer + 1] = count
    end
  end
  k = k + 1 + counters
  a = a + 3 + counters
end
return answer
`;

type ScriptedRedis = Redis & {
  /** Keys: epoch, then per token its entry and counters; ARGV: epoch if none, then per token lifetime, earliest use, counter count, counter expiries. */
  signetReplayCheckAndSetBatch(numberOfKeys: number, ...keysAndArgs: string[]): Promise<[string, ...number[]] | [-2]>;
};

/** One token's replay step, as the batch script takes it. */
interface TokenCheck {
  entryKey: string;
  ttlMs: number;
  earliestUseMs: number;
  /** Redis keys of the counters to add 1 to if fresh, and their expiries in whole seconds. */
  counterKeys: string[];
  counterTtls: string[];
  /** The epoch to write if Redis has none (ms), or '' to be told (-2). */
  epochIfNone: string;
}

/** The script's answer for one token: -2 (no epoch, none given), else the verdict, the epoch and the counts. */
type TokenAnswer = [number, string, ...number[]];

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
  private readonly batches: CommandBatcher<TokenCheck, TokenAnswer>;
  private readonly written = new Map<number, number>();
  /** The epoch last seen in Redis (ms), for refusingUntil. */
  private epoch: number | undefined;
  /** How far the high-water mark is known to be written (ms). */
  private coveredUntil = Number.NEGATIVE_INFINITY;
  private raising: Promise<void> | undefined;

  constructor(private readonly options: RedisReplayStoreOptions) {
    this.redis = options.redis as ScriptedRedis;
    if (typeof this.redis.signetReplayCheckAndSetBatch !== 'function') {
      // The number of keys varies with the batch, so each call passes it first.
      this.redis.defineCommand('signetReplayCheckAndSetBatch', { lua: CHECK_AND_SET_BATCH_LUA });
    }
    this.epochKey = `${options.prefix}replay-epoch`;
    this.batches = new CommandBatcher((checks) => this.sendBatch(checks));
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

  private async script(call: { entryKey: string; ttlMs: number; earliestUseMs: number; counters: readonly CounterIncrement[]; now: number }, epochIfNone: string): Promise<TokenAnswer> {
    const { counters, now } = call;
    const check: TokenCheck = {
      entryKey: call.entryKey,
      ttlMs: call.ttlMs,
      earliestUseMs: call.earliestUseMs,
      counterKeys: counters.map((counter) => rateLimitKey(this.options.prefix, counter.key)),
      // As RedisRateLimitStore.add: whole seconds, at least one.
      counterTtls: counters.map((counter) => String(Math.max(1, Math.ceil((counter.expiresAtMs - now) / 1000)))),
      epochIfNone,
    };
    try {
      return await this.batches.call(check);
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

  /** One script call for the tokens of a batch; its answer split back into one per token. */
  private async sendBatch(checks: TokenCheck[]): Promise<TokenAnswer[]> {
    const keys = [this.epochKey];
    // Redis has no history and one of them knows where it starts: the latest such moment is
    // written (any of them is a moment the history may start from; the latest refuses the most).
    let epochIfNone = '';
    const args: string[] = [];
    for (const check of checks) {
      keys.push(check.entryKey, ...check.counterKeys);
      args.push(String(check.ttlMs), String(check.earliestUseMs), String(check.counterKeys.length), ...check.counterTtls);
      if (check.epochIfNone !== '' && (epochIfNone === '' || Number(check.epochIfNone) > Number(epochIfNone))) epochIfNone = check.epochIfNone;
    }
    const reply = await this.redis.signetReplayCheckAndSetBatch(keys.length, ...keys, epochIfNone, ...args);
    if (reply[0] === -2) return checks.map((): TokenAnswer => [-2, '']);
    const epoch = String(reply[0]);
    const answers: TokenAnswer[] = [];
    let at = 1;
    for (const check of checks) {
      const verdict = Number(reply[at++]);
      const counts = verdict === 1 ? (reply.slice(at, at + check.counterKeys.length) as number[]) : [];
      at += counts.length;
      answers.push([verdict, epoch, ...counts]);
    }
    return answers;
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
