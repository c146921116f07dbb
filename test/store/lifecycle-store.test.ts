import { describe, expect, it } from 'vitest';
import { openSqlite } from '../../src/store/factory.js';
import { KnexCredentialStore } from '../../src/store/knex-credential-store.js';
import { migrateToLatest, migrationConfig } from '../../src/store/migrations.js';
import { createPgSchema, servicesAvailable } from '../helpers/services.js';
import { enrollmentCodesContract } from './enrollment-codes.contract.js';
import { lifecycleStoreContract } from './lifecycle-store.contract.js';
import { openMigratedSqlite } from './lifecycle-stores.js';

lifecycleStoreContract('SQLite', openMigratedSqlite);
enrollmentCodesContract('SQLite', openMigratedSqlite);

if (servicesAvailable('the PostgreSQL lifecycle store contract', { pg: true })) {
  lifecycleStoreContract('PostgreSQL', async () => {
    const pg = await createPgSchema('lifecycle');
    return { db: pg.db, close: () => pg.drop() };
  });
  enrollmentCodesContract('PostgreSQL', async () => {
    const pg = await createPgSchema('codes');
    return { db: pg.db, close: () => pg.drop() };
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
