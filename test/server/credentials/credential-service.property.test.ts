import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/clock.js';
import { generateKeyPair, type Ed25519KeyPair } from '../../../src/client/keys.js';
import { loadConfig, type Config } from '../../../src/config.js';
import { SignetError } from '../../../src/protocol/errors.js';
import { newConsumerId, newKeyId } from '../../../src/protocol/ids.js';
import { jwkThumbprint } from '../../../src/protocol/public-key.js';
import { signRequest } from '../../../src/client/sign.js';
import { createApp, type SignetApp } from '../../../src/server/app.js';
import { silentLogger } from '../../../src/server/logger.js';
import { createStores, type Stores } from '../../../src/store/factory.js';
import { LOCAL_OPERATOR_CONTEXT } from '../../../src/store/types.js';
import { T0 } from '../../helpers/harness.js';
import { dropRedisPrefix, redisTestPrefix, seedReplayEpoch, servicesAvailable } from '../../helpers/services.js';
import { FUZZ_RUNS } from '../../helpers/test-env.js';
import { REDIS_URL } from '../../helpers/test-env.js';

/**
 * Whatever sequence of changes is made, through whichever instance: a key the store calls
 * unusable (revoked, expired by a rotation, consumer disabled, deleted or barred from Ed25519)
 * never verifies afterwards on any instance, and a usable one verifies. Every key is verified on
 * every instance before each change, so a stale cached copy would be caught.
 */

type Change =
  | { kind: 'addConsumer'; via: number }
  | { kind: 'addKey'; via: number; consumer: number }
  | { kind: 'revoke'; via: number; key: number }
  | { kind: 'rotate'; via: number; key: number }
  | { kind: 'status'; via: number; consumer: number; status: 'active' | 'disabled' }
  | { kind: 'modes'; via: number; consumer: number; ed25519: boolean }
  | { kind: 'delete'; via: number; consumer: number };

const via = fc.integer({ min: 0, max: 1 });
const pick = fc.nat({ max: 20 });
const change: fc.Arbitrary<Change> = fc.oneof(
  fc.record({ kind: fc.constant('addConsumer' as const), via }),
  fc.record({ kind: fc.constant('addKey' as const), via, consumer: pick }),
  fc.record({ kind: fc.constant('revoke' as const), via, key: pick }),
  fc.record({ kind: fc.constant('rotate' as const), via, key: pick }),
  fc.record({ kind: fc.constant('status' as const), via, consumer: pick, status: fc.constantFrom('active' as const, 'disabled' as const) }),
  fc.record({ kind: fc.constant('modes' as const), via, consumer: pick, ed25519: fc.boolean() }),
  fc.record({ kind: fc.constant('delete' as const), via, consumer: pick }),
);

interface World {
  config: Readonly<Config>;
  clock: ManualClock;
  stores: Stores;
  apps: SignetApp[];
  /** Redis delivers to the other instance asynchronously: wait for it before judging. */
  eventual: boolean;
  close(): Promise<void>;
}

const at = <T>(list: T[], n: number): T | undefined => (list.length === 0 ? undefined : list[n % list.length]);

async function newKey(consumerId: string): Promise<{ pair: Ed25519KeyPair; key: { id: string; consumerId: string; type: 'ed25519'; publicKey: Uint8Array; thumbprint: string } }> {
  const pair = await generateKeyPair();
  return { pair, key: { id: newKeyId(), consumerId, type: 'ed25519', publicKey: pair.publicKey, thumbprint: await jwkThumbprint(pair.publicKey) } };
}

async function verifies(world: World, app: SignetApp, kid: string, pair: Ed25519KeyPair): Promise<boolean> {
  const signed = await signRequest({ method: 'GET', url: world.config.publicOrigin + '/v1/whoami', key: { type: 'ed25519', privateKey: pair.privateKey }, kid, now: world.clock.now() });
  try {
    await app.server.verify({ method: 'GET', target: '/v1/whoami', authorization: signed.authorization, body: new Uint8Array() });
    return true;
  } catch (error) {
    if (error instanceof SignetError && error.status < 500) return false;
    throw error;
  }
}

/** What the store says: may this key sign now? */
async function usable(world: World, kid: string): Promise<boolean> {
  const found = await world.stores.credentials.findKey(kid);
  if (found === undefined) return false;
  const { key, consumer } = found;
  const now = world.clock.now();
  return key.revokedAt === null && (key.expiresAt === null || key.expiresAt > now) && consumer.status === 'active' && consumer.allowedModes.includes('ed25519');
}

async function checkAll(world: World, keys: Map<string, Ed25519KeyPair>): Promise<void> {
  for (const [kid, pair] of keys) {
    const expected = await usable(world, kid);
    for (const app of world.apps) {
      let actual = await verifies(world, app, kid, pair);
      // Redis pub/sub reaches the other instance a moment later; memory delivers at once.
      for (let tries = 0; world.eventual && actual !== expected && tries < 50; tries++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        actual = await verifies(world, app, kid, pair);
      }
      expect({ kid, verifies: actual }).toEqual({ kid, verifies: expected });
    }
  }
}

async function apply(world: World, step: Change, consumers: string[], keys: Map<string, Ed25519KeyPair>): Promise<void> {
  const service = world.apps[step.via]!.server.credentials;
  const audit = LOCAL_OPERATOR_CONTEXT;
  if (step.kind === 'addConsumer') {
    const id = newConsumerId();
    const made = await newKey('');
    await service.createConsumerWithKey({ id, name: 'c' }, { ...made.key, consumerId: '' }, audit);
    consumers.push(id);
    keys.set(made.key.id, made.pair);
    return;
  }
  if (step.kind === 'revoke' || step.kind === 'rotate') {
    const kid = at([...keys.keys()], step.key);
    if (kid === undefined) return;
    if (step.kind === 'revoke') {
      await service.revokeKey(kid, audit);
      return;
    }
    const found = await world.stores.credentials.findKey(kid);
    if (found === undefined) return;
    const made = await newKey(found.consumer.id);
    // No overlap: the previous key is expired from now on.
    if ((await service.rotateKey(kid, made.key, world.clock.now() - 1, audit)) !== undefined) keys.set(made.key.id, made.pair);
    return;
  }
  const consumerId = at(consumers, step.consumer);
  if (consumerId === undefined) return;
  if (step.kind === 'addKey') {
    if ((await world.stores.credentials.getConsumer(consumerId)) === undefined) return;
    const made = await newKey(consumerId);
    await service.insertKey(made.key, audit);
    keys.set(made.key.id, made.pair);
  } else if (step.kind === 'status') await service.setConsumerStatus(consumerId, step.status, audit);
  else if (step.kind === 'modes') await service.updateConsumer(consumerId, { allowedModes: step.ed25519 ? ['ed25519'] : ['hmac'] }, audit);
  else await service.deleteConsumer(consumerId, audit);
}

async function runProperty(open: () => Promise<World>, numRuns: number): Promise<void> {
  await fc.assert(
    fc.asyncProperty(fc.array(change, { minLength: 1, maxLength: 12 }), async (steps) => {
      const world = await open();
      try {
        const consumers: string[] = [];
        const keys = new Map<string, Ed25519KeyPair>();
        await apply(world, { kind: 'addConsumer', via: 0 }, consumers, keys);
        for (const step of steps) {
          await checkAll(world, keys);
          await apply(world, step, consumers, keys);
          await checkAll(world, keys);
        }
      } finally {
        await world.close();
      }
    }),
    { numRuns },
  );
}

function baseConfig(overrides: Partial<Config>): Readonly<Config> {
  return loadConfig({ db: ':memory:', port: 0, publicOrigin: 'https://api.example.test', logLevel: 'silent', authFailureLimit: 0, usageEnabled: false, metricsEnabled: false, ...overrides }, {});
}

const RUNS = Math.max(5, Math.min(FUZZ_RUNS, 40));

describe('credential changes through the service, over random sequences', () => {
  it('a key the store calls unusable never verifies afterwards, on two instances sharing a database and a memory event bus', async () => {
    await runProperty(async () => {
      const config = baseConfig({});
      const clock = new ManualClock(T0);
      const stores = await createStores(config, clock);
      const apps = [0, 1].map(() => createApp({ config, stores, clock, logger: silentLogger() }));
      return {
        config,
        clock,
        stores,
        apps,
        eventual: false,
        close: async () => {
          for (const app of apps) await app.close();
          await stores.close();
        },
      };
    }, RUNS);
  }, 600_000);

  describe('on Redis', () => {
    const run = servicesAvailable('credential service property on Redis', { redis: true });
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'signet-credentials-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it.runIf(run)(
      'a key the store calls unusable never verifies afterwards, on two instances with their own connections to one database and one Redis',
      async () => {
        let n = 0;
        await runProperty(
          async () => {
            const prefix = redisTestPrefix('credential-service');
            await seedReplayEpoch(REDIS_URL!, prefix);
            const config = baseConfig({ db: join(dir, `db-${n++}.sqlite`), redisUrl: REDIS_URL!, redisPrefix: prefix });
            const clock = new ManualClock(T0);
            const storesA = await createStores(config, clock);
            const storesB = await createStores(config, clock);
            const apps = [createApp({ config, stores: storesA, clock, logger: silentLogger() }), createApp({ config, stores: storesB, clock, logger: silentLogger() })];
            return {
              config,
              clock,
              stores: storesA,
              apps,
              eventual: true,
              close: async () => {
                for (const app of apps) await app.close();
                await storesA.close();
                await storesB.close();
                await dropRedisPrefix(REDIS_URL!, prefix);
              },
            };
          },
          Math.min(RUNS, 10),
        );
      },
      600_000,
    );
  });
});
