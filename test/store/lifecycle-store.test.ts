import knexFactory from 'knex';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { openSqlite } from '../../src/store/factory.js';
import { KnexCredentialStore } from '../../src/store/knex-credential-store.js';
import { migrateToLatest, migrationConfig, rollbackAll } from '../../src/store/migrations.js';
import { PG_URL } from '../helpers/test-env.js';
import { lifecycleStoreContract } from './lifecycle-store.contract.js';

lifecycleStoreContract('SQLite', async () => {
  const db = openSqlite(':memory:');
  await migrateToLatest(db);
  return { db, close: () => db.destroy() };
});

async function pgDriverInstalled(): Promise<boolean> {
  const name = 'pg';
  return import(name).then(
    () => true,
    () => false,
  );
}

const pgReady = PG_URL !== undefined && (await pgDriverInstalled());
if (!pgReady) console.log('skipping the PostgreSQL lifecycle store contract: needs SIGNET_TEST_PG_URL and the "pg" driver');

if (pgReady) {
  lifecycleStoreContract('PostgreSQL', async () => {
    const schema = `signet_lifecycle_${randomBytes(6).toString('hex')}`;
    const db = knexFactory({ client: 'pg', connection: PG_URL, searchPath: [schema], pool: { min: 0, max: 4 } });
    await db.raw('create schema ??', [schema]);
    await migrateToLatest(db);
    return {
      db,
      close: async () => {
        await rollbackAll(db);
        await db.raw('drop schema ?? cascade', [schema]);
        await db.destroy();
      },
    };
  });
}

describe('migration 002 on SQLite', () => {
  it('rolls back without deleting keys (no table rebuild cascading through the foreign key)', async () => {
    const db = openSqlite(':memory:');
    try {
      await migrateToLatest(db);
      const store = new KnexCredentialStore(db);
      await store.createConsumerWithKey({ id: 'con_a', name: 'a', plan: 'free' }, { id: 'key_a', consumerId: '', type: 'ed25519', publicKey: new Uint8Array(32), thumbprint: 't' }, 1);
      // Roll back to just after 001 whatever later migrations exist, then come back up.
      const completed = async () => ((await db.migrate.list(migrationConfig)) as [unknown[], unknown[]])[0].length;
      while ((await completed()) > 1) await db.migrate.down(migrationConfig);
      expect(await db('keys').count({ n: '*' })).toEqual([{ n: 1 }]);
      await migrateToLatest(db);
      expect((await store.findKey('key_a'))?.consumer).toMatchObject({ plan: null, metadata: {}, allowedModes: ['ed25519'] });
    } finally {
      await db.destroy();
    }
  });
});
