import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Clock } from '../clock.js';
import { SignetError } from '../protocol/errors.js';
import { isRedisOutOfMemory, redisUnavailable } from './redis-connection.js';
import type { ReplayStore, ReplayVerdict } from './types.js';

export interface RedisReplayStoreOptions {
  redis: Redis;
  /** Key prefix shared by every instance (SIGNET_REDIS_PREFIX). */
  prefix: string;
  clock: Clock;
  /** SIGNET_CLOCK_SKEW in ms: how far before its iat a token may already have been accepted. */
  clockSkewMs: number;
}

/**
 * One atomic step on the Redis server. KEYS[1] is the epoch marker: the time this Redis started
 * holding one-time tokens, written once and never expiring. If it is missing, Redis has no
 * history (first start, or restarted without its data) and it is written now. A token that may
 * have been accepted before the epoch (issued at or before epoch + skew) cannot be checked and is
 * refused with the epoch (-1); otherwise SET NX with an expiry answers 1 (fresh) or 0 (replayed).
 * ARGV: 1 entry lifetime in ms, 2 the earliest moment the token could have been used (iat - skew,
 * ms), 3 now (ms).
 */
const CHECK_AND_SET_LUA = `
local epoch = redis.call('GET', KEYS[1])
if not epoch then
  redis.call('SET', KEYS[1], ARGV[3])
  epoch = ARGV[3]
end
if tonumber(ARGV[2]) <= tonumber(epoch) then return {-1, epoch} end
if redis.call('SET', KEYS[2], '1', 'PX', ARGV[1], 'NX') then return {1, epoch} end
return {0, epoch}
`;

type ScriptedRedis = Redis & {
  signetReplayCheckAndSet(epochKey: string, entryKey: string, ttlMs: string, earliestUseMs: string, nowMs: string): Promise<[number, string]>;
};

/** Entries this instance wrote, counted per 10-second expiry bucket (for the replay-size gauge). */
const BUCKET_MS = 10_000;

/**
 * The replay store shared by every instance: one Redis key per (key id, jti), set if absent with
 * an expiry, in one atomic script. Redis unreachable means the check fails closed: 503
 * service_unavailable, never a token let through unchecked. Redis out of memory is 503
 * replay_store_full, as for the memory store at capacity. Redis must not evict these keys
 * (maxmemory-policy noeviction; docs/deployment.md).
 */
export class RedisReplayStore implements ReplayStore {
  private readonly redis: ScriptedRedis;
  private readonly epochKey: string;
  private readonly written = new Map<number, number>();

  constructor(private readonly options: RedisReplayStoreOptions) {
    this.redis = options.redis as ScriptedRedis;
    if (typeof this.redis.signetReplayCheckAndSet !== 'function') {
      this.redis.defineCommand('signetReplayCheckAndSet', { numberOfKeys: 2, lua: CHECK_AND_SET_LUA });
    }
    this.epochKey = `${options.prefix}replay-epoch`;
  }

  async checkAndSet(kid: string, jti: string, expiresAtMs: number, issuedAtMs: number): Promise<ReplayVerdict> {
    const now = this.options.clock.now();
    const ttlMs = Math.max(1, Math.ceil(expiresAtMs - now));
    const earliestUseMs = issuedAtMs - this.options.clockSkewMs;
    let answer: [number, string];
    try {
      answer = await this.redis.signetReplayCheckAndSet(this.epochKey, this.entryKey(kid, jti), String(ttlMs), String(earliestUseMs), String(now));
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
    const [result, epoch] = answer;
    if (result === -1) throw historyLost(Number(epoch), issuedAtMs, this.options.clockSkewMs, now);
    if (result === 0) return 'replayed';
    this.count(expiresAtMs);
    return 'fresh';
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
