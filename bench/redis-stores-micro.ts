/**
 * `node --import tsx bench/redis-stores-micro.ts [REDIS_URL] [SRC_DIR] [no-auto-pipelining]`: what the Redis stores cost
 * one signed request, without HTTP or verification around them: 50 concurrent loops each doing
 * what `signet serve` does per request on Redis (the failure gate's counter read, then the replay
 * check with the rate-limit adds), printing the client's CPU and Redis's CPU and commands per
 * request. SRC_DIR (an absolute path; default ../src) lets an older copy of the stores run the same
 * loop; `no-auto-pipelining` opens the connection without ioredis auto-pipelining. Needs a Redis
 * of its own for the Redis figures (INFO counts every client's work).
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { dropRedisPrefix } from '../test/helpers/services.js';

const url = process.argv[2] ?? 'redis://127.0.0.1:6379';
const srcDir = process.argv[3] ?? new URL('../src', import.meta.url).pathname;
const { openRedis, waitForRedis, closeRedis } = await import(`${srcDir}/store/redis-connection.ts`);
const { RedisReplayStore } = await import(`${srcDir}/store/redis-replay-store.ts`);
const { RedisRateLimitStore } = await import(`${srcDir}/store/redis-rate-limit-store.ts`);

const REQUESTS = 30_000;
const CONNECTIONS = 50;
const clock = { now: () => Date.now() };

async function redisWork(admin: Redis): Promise<{ cpu: number; commands: number }> {
  const cpu = await admin.info('cpu');
  const stats = await admin.info('stats');
  const seconds = (name: string) => Number(new RegExp(`${name}:([0-9.]+)`).exec(cpu)?.[1] ?? 0);
  return { cpu: (seconds('used_cpu_user') + seconds('used_cpu_sys')) * 1e6, commands: Number(/total_commands_processed:(\d+)/.exec(stats)?.[1] ?? 0) };
}

for (const windows of [0, 2]) {
  const prefix = `signet-micro:${randomBytes(4).toString('hex')}:`;
  const admin = new Redis(url);
  await admin.set(`${prefix}replay-epoch`, '0');
  const redis = openRedis({ url, timeoutMs: 1000, autoPipelining: process.argv[4] !== 'no-auto-pipelining' });
  await waitForRedis(redis, 5000);
  const replay = new RedisReplayStore({ redis, prefix, clock, clockSkewMs: 60_000 });
  const rateLimits = new RedisRateLimitStore({ redis, prefix, clock });
  let next = 0;
  let pass = 0;
  const loop = async () => {
    while (next < REQUESTS) {
      const n = next++;
      const now = Date.now();
      await rateLimits.get(`address:127.0.0.1:60:${Math.floor(now / 60_000) * 60_000}`);
      const counters = Array.from({ length: windows }, (_, i) => ({ key: `consumer:c1:w${i}:${now - (now % 60_000)}`, expiresAtMs: now + 70_000 }));
      const { verdict } = await replay.checkAndSetThenCount('key_1', `jti-${pass}-${n}`, now + 60_000, now, counters);
      if (verdict !== 'fresh') throw new Error('unexpected replay');
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, loop)); // warm-up
  next = 0;
  pass += 1;
  const redisBefore = await redisWork(admin);
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  await Promise.all(Array.from({ length: CONNECTIONS }, loop));
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const redisAfter = await redisWork(admin);
  console.log(
    `${windows} windows: client ${((cpu.user + cpu.system) / REQUESTS).toFixed(1)} µs/req, Redis ${((redisAfter.cpu - redisBefore.cpu) / REQUESTS).toFixed(1)} µs/req, ` +
      `${((redisAfter.commands - redisBefore.commands - 2) / REQUESTS).toFixed(2)} Redis commands/req (scripts' inner commands included), ${Math.round(REQUESTS / seconds)} req/s`,
  );
  await closeRedis(redis);
  admin.disconnect();
  await dropRedisPrefix(url, prefix);
}
