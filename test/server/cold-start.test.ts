import { afterEach, describe, expect, it } from 'vitest';
import { KnexReplayHighWater } from '../../src/store/knex-replay-high-water.js';
import { migrateToLatest } from '../../src/store/migrations.js';
import { openSqlite } from '../../src/store/factory.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { createPgSchema, dropRedisPrefix, redisTestPrefix, servicesAvailable } from '../helpers/services.js';
import { REDIS_URL } from '../helpers/test-env.js';

const redisReady = servicesAvailable('the cold-start suite', { redis: true });
const pgReady = servicesAvailable('the replay high-water mark on PostgreSQL', { pg: true });

let h: Harness | undefined;
const prefixes: string[] = [];
afterEach(async () => {
  await h?.close();
  h = undefined;
  for (const prefix of prefixes.splice(0)) await dropRedisPrefix(REDIS_URL!, prefix);
});

async function onFreshRedis(): Promise<Harness> {
  const prefix = redisTestPrefix('cold');
  prefixes.push(prefix);
  h = await startHarness({ redisUrl: REDIS_URL, redisPrefix: prefix });
  return h;
}

describe.skipIf(!redisReady)('a deployment on a Redis that has never held tokens', () => {
  it('serves its first signed request at once when the database records no accepted token, and records how far accepted tokens reach', async () => {
    const harness = await onFreshRedis();
    const alice = await harness.addConsumer('alice');
    const first = await harness.send({ method: 'GET', path: '/v1/whoami', ...alice });
    expect(first.status).toBe(200);
    const mark = await new KnexReplayHighWater(harness.db).read();
    expect(mark).toBeGreaterThanOrEqual(harness.clock.now());
    const ready = await (await fetch(harness.baseUrl + '/readyz')).json();
    expect(ready).not.toHaveProperty('replay_refusing_until');
  });

  it('still refuses, and says so in /readyz, the tokens an instance may have accepted before Redis lost its data', async () => {
    const harness = await onFreshRedis();
    const alice = await harness.addConsumer('alice');
    // Another instance accepted tokens until now, then Redis restarted empty.
    await new KnexReplayHighWater(harness.db).raise(harness.clock.now());
    const refused = await harness.send({ method: 'GET', path: '/v1/whoami', ...alice });
    expect(refused.status).toBe(503);
    expect((await refused.json()).detail).toMatch(/replay cache restarted empty/);
    const ready = await (await fetch(harness.baseUrl + '/readyz')).json();
    expect(ready.replay_refusing_until).toBe(new Date(harness.clock.now() + harness.config.clockSkewSeconds * 1000).toISOString());
    // Once no token from before the loss can still be valid, signing again works.
    harness.clock.advance(harness.config.clockSkewSeconds * 1000 + 1_000);
    expect((await harness.send({ method: 'GET', path: '/v1/whoami', ...alice })).status).toBe(200);
  });
});

describe('the replay high-water mark', () => {
  const engines: Array<[string, boolean, () => Promise<{ store: KnexReplayHighWater; close: () => Promise<void> }>]> = [
    [
      'SQLite',
      true,
      async () => {
        const db = openSqlite(':memory:');
        await migrateToLatest(db);
        return { store: new KnexReplayHighWater(db), close: () => db.destroy() };
      },
    ],
    [
      'PostgreSQL',
      pgReady,
      async () => {
        const schema = await createPgSchema('highwater');
        return { store: new KnexReplayHighWater(schema.db), close: () => schema.drop() };
      },
    ],
  ];
  for (const [engine, available, open] of engines) {
    it.skipIf(!available)(`starts empty and only ever moves forward (${engine})`, async () => {
      const { store, close } = await open();
      try {
        expect(await store.read()).toBeUndefined();
        await store.raise(1_767_225_600_000);
        await store.raise(1_767_225_000_000);
        expect(await store.read()).toBe(1_767_225_600_000);
        await Promise.all([store.raise(1_767_225_700_000), store.raise(1_767_225_650_000)]);
        expect(await store.read()).toBe(1_767_225_700_000);
      } finally {
        await close();
      }
    });
  }
});
