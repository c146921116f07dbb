import { afterAll, beforeAll } from 'vitest';
import { disposeCli } from './cli-process.js';
import { deploymentEnv } from './scale-fixture.js';
import { spawnServer, type ServerProcess } from './server-process.js';
import { createPgSchema, dropRedisPrefix, redisTestPrefix, seedReplayEpoch, type PgSchema } from './services.js';
import { REDIS_URL } from './test-env.js';

export interface TwoInstances {
  pg: PgSchema;
  a: ServerProcess;
  b: ServerProcess;
}

/**
 * For a describe block: two real `signet serve` processes sharing a fresh PostgreSQL schema and a
 * Redis key prefix of their own, started before its tests and removed after them. `use` receives
 * them once they run.
 */
export function withTwoInstances(label: string, use: (started: TwoInstances) => void | Promise<void>): void {
  let started: TwoInstances | undefined;
  let prefix: string | undefined;
  beforeAll(async () => {
    const pg = await createPgSchema(label);
    prefix = redisTestPrefix(label);
    // A Redis in service for a while, as in production (a brand-new one refuses the first seconds' tokens).
    await seedReplayEpoch(REDIS_URL!, prefix);
    const env = deploymentEnv(pg, REDIS_URL!, prefix);
    const [a, b] = await Promise.all([spawnServer(env), spawnServer(env)]);
    started = { pg, a, b };
    await use(started);
  }, 120_000);
  afterAll(async () => {
    await Promise.all([started?.a.stop(), started?.b.stop()]);
    await started?.pg.drop();
    if (prefix !== undefined) await dropRedisPrefix(REDIS_URL!, prefix);
    disposeCli();
  });
}
