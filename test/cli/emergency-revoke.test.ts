import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { generateKeyPair } from '../../src/client/keys.js';
import { newConsumerId, newKeyId } from '../../src/protocol/ids.js';
import { jwkThumbprint } from '../../src/protocol/public-key.js';
import { openSqlite } from '../../src/store/factory.js';
import { KnexCredentialStore } from '../../src/store/knex-credential-store.js';
import { migrateToLatest } from '../../src/store/migrations.js';
import { disposeCli, runCli } from '../helpers/cli-process.js';
import { redisServerBinary, ThrowawayRedis } from '../helpers/redis-server.js';
import { PUBLIC_ORIGIN, whoami, type Caller } from '../helpers/scale-fixture.js';
import { spawnServer, type ServerProcess } from '../helpers/server-process.js';

const binary = redisServerBinary();
if (binary === undefined) console.log('skipping the emergency revocation suite: redis-server is not installed');

const dir = mkdtempSync(join(tmpdir(), 'signet-emergency-'));
afterAll(() => {
  disposeCli();
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(binary === undefined)('revoking a key while Redis is down', () => {
  let redis: ThrowawayRedis | undefined;
  let server: ServerProcess | undefined;
  afterAll(async () => {
    await server?.stop();
    await redis?.stop();
  });

  it('works with `admin keys revoke --direct` on the server host, and the running server refuses the key within a second', async () => {
    const file = join(dir, 'signet.sqlite');
    const db = openSqlite(file);
    await migrateToLatest(db);
    const callers: Caller[] = [];
    for (const name of ['leaked', 'innocent']) {
      const pair = await generateKeyPair();
      const caller: Caller = { kid: newKeyId(), consumerId: newConsumerId(), pair };
      await new KnexCredentialStore(db).createConsumerWithKey(
        { id: caller.consumerId, name },
        { id: caller.kid, consumerId: caller.consumerId, type: 'ed25519', publicKey: pair.publicKey, thumbprint: await jwkThumbprint(pair.publicKey) },
        Date.now(),
      );
      callers.push(caller);
    }
    await db.destroy();
    const [leaked, innocent] = callers as [Caller, Caller];
    redis = await ThrowawayRedis.start(binary!);
    const env = {
      SIGNET_DB: file,
      SIGNET_REDIS_URL: redis.url,
      SIGNET_REDIS_TIMEOUT_MS: '200',
      SIGNET_PUBLIC_ORIGIN: PUBLIC_ORIGIN,
      SIGNET_MASTER_KEY_FILE: join(dir, 'master.key'),
      SIGNET_AUTH_FAILURE_LIMIT: '0',
      SIGNET_CLOCK_SKEW: '1',
    };
    server = await spawnServer(env);
    expect((await whoami(server.url, leaked)).status).toBe(200);

    await redis.stop();
    // Nothing signed gets through while Redis is down: the API cannot take a revocation.
    expect((await whoami(server.url, innocent)).status).toBe(503);

    const revoked = await runCli(['admin', 'keys', 'revoke', leaked.kid, '--direct', '--json'], env);
    expect(revoked.code).toBe(0);
    expect(JSON.parse(revoked.stdout)).toMatchObject({ id: leaked.kid, status: 'revoked', announced: false });
    expect(revoked.stderr).toContain('could not be reached');

    // The server cannot hear the event bus, so it keeps cached keys at most a second.
    let answer = await whoami(server.url, leaked);
    for (let i = 0; i < 50 && answer.code !== 'key_revoked'; i++) {
      await delay(100);
      answer = await whoami(server.url, leaked);
    }
    expect(answer).toMatchObject({ status: 401, code: 'key_revoked' });

    // Redis back (empty): the key stays revoked; the other key works again once the replay cache's
    // history gap is past (the skew, 1 s here, plus at most the 10 s high-water lease).
    await redis.start();
    let innocentAnswer = await whoami(server.url, innocent);
    for (let i = 0; i < 150 && innocentAnswer.status !== 200; i++) {
      await delay(200);
      innocentAnswer = await whoami(server.url, innocent);
    }
    expect(innocentAnswer.status).toBe(200);
    expect(await whoami(server.url, leaked)).toMatchObject({ status: 401, code: 'key_revoked' });
  }, 90_000);
});
