import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disposeCli } from '../helpers/cli-process.js';
import { redisServerBinary, ThrowawayRedis } from '../helpers/redis-server.js';
import { addCaller, authorization, deploymentEnv, send, whoami, type Caller } from '../helpers/scale-fixture.js';
import { spawnServer, type ServerProcess } from '../helpers/server-process.js';
import { createPgSchema, seedReplayEpoch, servicesAvailable, type PgSchema } from '../helpers/services.js';
import { suiteRuns } from '../helpers/optional-suites.js';

/**
 * Redis is taken away from two running instances and comes back empty (this test's own
 * redis-server, without persistence; the machine's Redis is never touched). During the outage no
 * signed request is accepted, and no token is accepted twice, neither during nor after it.
 */
const binary = redisServerBinary();
const ready =
  servicesAvailable('the Redis outage suite', { pg: true }) && suiteRuns('the Redis outage suite', binary === undefined ? 'redis-server is not installed (apt-get install redis-server)' : undefined);

describe.skipIf(!ready)('two instances through a Redis restart', () => {
  let pg: PgSchema;
  let redis: ThrowawayRedis;
  let a: ServerProcess;
  let b: ServerProcess;
  let caller: Caller;

  beforeAll(async () => {
    pg = await createPgSchema('redis_outage');
    redis = await ThrowawayRedis.start(binary!);
    await seedReplayEpoch(redis.url, 'outage:');
    // A small clock skew keeps the wait after Redis comes back empty short (it is SIGNET_CLOCK_SKEW seconds).
    // The failed-authentication gate is on: its counters are in Redis too.
    const env = deploymentEnv(pg, redis.url, 'outage:', { SIGNET_CLOCK_SKEW: '1', SIGNET_REDIS_TIMEOUT_MS: '300', SIGNET_AUTH_FAILURE_LIMIT: '1000' });
    [a, b] = await Promise.all([spawnServer(env), spawnServer(env)]);
    caller = await addCaller(pg);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await redis?.stop();
    await pg?.drop();
    disposeCli();
  });

  it('answers 503 while Redis is down, accepts no token twice, and recovers by itself when Redis is back', async () => {
    const used = await authorization(caller, 'GET', '/v1/whoami');
    expect((await send(a.url, 'GET', '/v1/whoami', used)).status).toBe(200);

    await redis.stop();
    const during: string[] = [];
    for (let i = 0; i < 6; i++) {
      const server = i % 2 === 0 ? a : b;
      const fresh = await whoami(server.url, caller);
      const replay = await send(server.url, 'GET', '/v1/whoami', used);
      during.push(`${fresh.status} ${fresh.code}`, `${replay.status} ${replay.code}`);
    }
    expect(new Set(during)).toEqual(new Set(['503 service_unavailable']));
    for (const server of [a, b]) {
      const readiness = await fetch(server.url + '/readyz');
      expect(readiness.status).toBe(503);
      expect(await readiness.json()).toMatchObject({ status: 'not_ready', database: 'ok', redis: 'unreachable' });
      expect((await fetch(server.url + '/healthz')).status).toBe(200);
      // The failure gate steps aside: unsigned routes keep working, an unsigned call is still a plain 401.
      expect((await fetch(server.url + '/openapi.json')).status).toBe(200);
      const unsigned = await fetch(server.url + '/v1/whoami');
      expect(unsigned.status).toBe(401);
      expect((await unsigned.json()).code).toBe('missing_token');
    }

    // Redis comes back empty: the instances reconnect by themselves; tokens that may have been used
    // before are refused until the clock skew has passed, then service resumes.
    await redis.start();
    const restarted = performance.now();
    const after: Record<string, Array<string>> = { a: [], b: [] };
    for (const [name, server] of [
      ['a', a],
      ['b', b],
    ] as const) {
      let last = { status: 0 } as { status: number; code?: string };
      while (last.status !== 200 && performance.now() - restarted < 20_000) {
        last = await whoami(server.url, caller);
        after[name]!.push(`${last.status} ${last.code ?? ''}`.trim());
        if (last.status !== 200) await delay(100);
      }
      expect(last.status, `instance ${name} did not recover: ${after[name]!.join(', ')}`).toBe(200);
    }
    console.log(`Redis restarted empty: both instances served signed requests again ${((performance.now() - restarted) / 1000).toFixed(1)} s later`);
    // Everything before recovery was a clean 503, never a 500 and never an acceptance of a replay.
    for (const answer of [...after.a!, ...after.b!].filter((x) => x !== '200')) expect(answer).toBe('503 service_unavailable');
    // The token used before the outage is still refused, by both, although Redis forgot it.
    for (const server of [a, b]) expect((await send(server.url, 'GET', '/v1/whoami', used)).status).not.toBe(200);
    for (const server of [a, b]) expect((await fetch(server.url + '/readyz')).status).toBe(200);
    // And replay protection works again across both.
    const token = await authorization(caller, 'GET', '/v1/whoami');
    const both = await Promise.all([send(a.url, 'GET', '/v1/whoami', token), send(b.url, 'GET', '/v1/whoami', token)]);
    expect(both.map((r) => r.status).sort()).toEqual([200, 401]);
  });
});
