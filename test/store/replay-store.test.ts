import { setTimeout as delay } from 'node:timers/promises';
import { type Redis } from 'ioredis';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { SignetError } from '../../src/protocol/errors.js';
import { MemoryReplayStore } from '../../src/store/memory-replay-store.js';
import { closeRedis, openRedis, waitForRedis } from '../../src/store/redis-connection.js';
import { RedisReplayStore } from '../../src/store/redis-replay-store.js';
import { dropRedisPrefix, redisTestPrefix, seedReplayEpoch, servicesAvailable } from '../helpers/services.js';
import { freePort, redisServerBinary, ThrowawayRedis } from '../helpers/redis-server.js';
import { REDIS_URL } from '../helpers/test-env.js';
import { replayStoreContract } from './replay-store.contract.js';
import { suiteRuns } from '../helpers/optional-suites.js';

const T0 = Date.UTC(2026, 0, 1);
const SKEW_MS = 60_000;

replayStoreContract('memory', async () => {
  const clock = new ManualClock(T0);
  return {
    store: new MemoryReplayStore({ clock, capacity: 100_000, bucketMs: 1_000 }),
    clock,
    pass: async (ms) => clock.advance(ms),
    close: async () => undefined,
  };
});

async function openRedisStore(url: string, prefix: string, clock: ManualClock) {
  // As the server opens its command connection: concurrent commands share one write.
  const redis = openRedis({ url, timeoutMs: 1000, autoPipelining: true });
  await waitForRedis(redis, 5000);
  return { redis, store: new RedisReplayStore({ redis, prefix, clock, clockSkewMs: SKEW_MS }) };
}

const redisReady = servicesAvailable('the Redis replay store suites', { redis: true });

if (redisReady) {
  const url = REDIS_URL!;
  replayStoreContract('Redis', async () => {
    const prefix = redisTestPrefix('replay-contract');
    await seedReplayEpoch(url, prefix);
    const clock = new ManualClock(T0);
    const { redis, store } = await openRedisStore(url, prefix, clock);
    return {
      store,
      clock,
      // Redis expires entries on its own clock: entries of 200 ms are gone after a short real wait.
      pass: async (ms) => {
        clock.advance(ms);
        await delay(400);
      },
      close: async () => {
        await closeRedis(redis);
        await dropRedisPrefix(url, prefix);
      },
    };
  });

  describe('the Redis replay store', () => {
    const prefixes: string[] = [];
    const connections: Redis[] = [];
    async function fresh(clock: ManualClock, options: { seeded?: boolean } = {}) {
      const prefix = redisTestPrefix('replay');
      prefixes.push(prefix);
      if (options.seeded === true) await seedReplayEpoch(url, prefix);
      const opened = await openRedisStore(url, prefix, clock);
      connections.push(opened.redis);
      return { ...opened, prefix };
    }
    afterAll(async () => {
      await Promise.all(connections.map((c) => closeRedis(c)));
      for (const prefix of prefixes) await dropRedisPrefix(url, prefix);
    });

    it('keys entries by key id and a hash of the jti, under the prefix, with the entry expiry', async () => {
      const clock = new ManualClock(T0);
      const { store, prefix, redis } = await fresh(clock, { seeded: true });
      await store.checkAndSet('key_x', 'a jti with spaces and ünïcode', T0 + 90_000, T0);
      const keys = await redis.keys(`${prefix}replay:*`);
      expect(keys).toHaveLength(1);
      expect(keys[0]).toMatch(new RegExp(`^${prefix}replay:key_x:[A-Za-z0-9_-]{22}$`));
      const ttl = await redis.pttl(keys[0]!);
      expect(ttl).toBeGreaterThan(80_000);
      expect(ttl).toBeLessThanOrEqual(90_000);
    });

    it('on an empty Redis, refuses with 503 the tokens that may have been used before it started, and accepts later ones', async () => {
      const clock = new ManualClock(T0);
      const { store, redis, prefix } = await fresh(clock);
      const early = await store.checkAndSet('key_a', 'j1', T0 + 60_000, T0).catch((e: unknown) => e);
      expect(early).toBeInstanceOf(SignetError);
      expect(early).toMatchObject({ code: 'service_unavailable', status: 503 });
      expect((early as SignetError).detail).toMatch(/replay cache restarted empty/);
      expect((early as SignetError).extra.retry_after).toBeGreaterThan(0);
      expect(await redis.get(`${prefix}replay-epoch`)).toBe(String(T0));
      // A token issued more than the clock skew after the epoch cannot have been seen before it.
      clock.advance(SKEW_MS + 1_000);
      expect(await store.checkAndSet('key_a', 'j2', clock.now() + 60_000, clock.now())).toBe('fresh');
      expect(await store.checkAndSet('key_a', 'j2', clock.now() + 60_000, clock.now())).toBe('replayed');
    });

    it('after losing its data (marker gone), refuses a token it had accepted instead of accepting it again', async () => {
      const clock = new ManualClock(T0);
      const { store, redis, prefix } = await fresh(clock, { seeded: true });
      expect(await store.checkAndSet('key_a', 'used', T0 + 60_000, T0)).toBe('fresh');
      // What a restart without persistence does: every key gone.
      await dropRedisPrefix(url, prefix);
      clock.advance(5_000);
      await expect(store.checkAndSet('key_a', 'used', T0 + 60_000, T0)).rejects.toMatchObject({ code: 'service_unavailable' });
      expect(Number(await redis.get(`${prefix}replay-epoch`))).toBe(T0 + 5_000);
    });

    it('checks the tokens of concurrent requests in one script call, each answered as if it had been checked alone', async () => {
      const clock = new ManualClock(T0);
      const { store, redis } = await fresh(clock);
      const script = vi.spyOn(redis as unknown as { signetReplayCheckAndSetBatch: (...args: unknown[]) => unknown }, 'signetReplayCheckAndSetBatch');
      // An empty Redis starts its history now (T0): a token issued at T0 may have been used before.
      const later = T0 + SKEW_MS + 1_000;
      const answers = await Promise.all([
        store.checkAndSet('key_a', 'early', T0 + 60_000, T0).catch((e: unknown) => e),
        store.checkAndSet('key_a', 'late', later + 60_000, later),
        store.checkAndSet('key_a', 'late', later + 60_000, later),
        store.checkAndSet('key_b', 'late', later + 60_000, later),
      ]);
      // Called on the connection once (ioredis's auto-pipeline then calls its copy of it: not counted).
      expect(script.mock.contexts.filter((context) => context === redis)).toHaveLength(1);
      expect(answers[0]).toMatchObject({ code: 'service_unavailable', status: 503 });
      expect(answers.slice(1)).toEqual(['fresh', 'replayed', 'fresh']);
      script.mockRestore();
    });

    it('gives exactly one fresh among concurrent uses of one token on two instances (two connections)', async () => {
      const clock = new ManualClock(T0);
      const first = await fresh(clock, { seeded: true });
      const second = await openRedisStore(url, first.prefix, clock);
      connections.push(second.redis);
      const verdicts = await Promise.all(Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? first.store : second.store).checkAndSet('key_a', 'raced', T0 + 60_000, T0)));
      expect(verdicts.filter((v) => v === 'fresh')).toHaveLength(1);
      expect(verdicts.filter((v) => v === 'replayed')).toHaveLength(59);
    });

    it('fails every request of a batch with 503 service_unavailable when Redis is unreachable', async () => {
      const clock = new ManualClock(T0);
      const redis = openRedis({ url: `redis://127.0.0.1:${await freePort()}`, timeoutMs: 200 });
      connections.push(redis);
      const store = new RedisReplayStore({ redis, prefix: 'unreachable:', clock, clockSkewMs: SKEW_MS });
      const errors = await Promise.all(['j1', 'j2', 'j3'].map((jti) => store.checkAndSet('key_a', jti, T0 + 60_000, T0).catch((e: unknown) => e)));
      for (const error of errors) {
        expect(error).toBeInstanceOf(SignetError);
        expect(error).toMatchObject({ code: 'service_unavailable', status: 503 });
      }
      expect(new Set(errors).size).toBe(3);
    });

    it('fails closed with 503 service_unavailable, at once, when Redis is unreachable', async () => {
      const clock = new ManualClock(T0);
      const redis = openRedis({ url: `redis://127.0.0.1:${await freePort()}`, timeoutMs: 200 });
      connections.push(redis);
      const store = new RedisReplayStore({ redis, prefix: 'unreachable:', clock, clockSkewMs: SKEW_MS });
      const error = await store.checkAndSet('key_a', 'j', T0 + 60_000, T0).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SignetError);
      expect(error).toMatchObject({ code: 'service_unavailable', status: 503 });
      expect((error as SignetError).detail).toBe('The replay cache (Redis) is unreachable, so the server cannot safely accept this request; retry in a few seconds.');
    });
  });

  const binary = redisServerBinary();
  const outOfMemoryRuns = suiteRuns('the out-of-memory Redis test', binary === undefined ? 'redis-server is not installed (apt-get install redis-server)' : undefined);
  describe.skipIf(!outOfMemoryRuns)('the Redis replay store on a full Redis', () => {
    it('refuses new tokens with 503 replay_store_full when Redis is out of memory, and remembers the old ones', async () => {
      const server = await ThrowawayRedis.start(binary!);
      const clock = new ManualClock(T0);
      const { redis, store } = await openRedisStore(server.url, 'oom:', clock);
      try {
        await seedReplayEpoch(server.url, 'oom:');
        expect(await store.checkAndSet('key_a', 'before', T0 + 60_000, T0)).toBe('fresh');
        await redis.config('SET', 'maxmemory', '1');
        await expect(store.checkAndSet('key_a', 'after', T0 + 60_000, T0)).rejects.toMatchObject({ code: 'replay_store_full', status: 503 });
        await redis.config('SET', 'maxmemory', '0');
        expect(await store.checkAndSet('key_a', 'before', T0 + 60_000, T0)).toBe('replayed');
      } finally {
        await closeRedis(redis);
        await server.stop();
      }
    });
  });
}
