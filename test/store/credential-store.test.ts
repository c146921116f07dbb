import knexFactory from 'knex';
import { randomBytes } from 'node:crypto';
import { openSqlite } from '../../src/store/factory.js';
import { KnexCredentialStore } from '../../src/store/knex-credential-store.js';
import { migrateToLatest, rollbackAll } from '../../src/store/migrations.js';
import { PG_URL } from '../helpers/test-env.js';
import { credentialStoreContract } from './credential-store.contract.js';

credentialStoreContract('SQLite', async () => {
  const db = openSqlite(':memory:');
  await migrateToLatest(db);
  return { store: new KnexCredentialStore(db), close: () => db.destroy() };
});

/** The pg driver is optional: a dynamic import so this file loads where it is not installed. */
async function pgDriverInstalled(): Promise<boolean> {
  const name = 'pg';
  return import(name).then(
    () => true,
    () => false,
  );
}

const pgReady = PG_URL !== undefined && (await pgDriverInstalled());
if (PG_URL === undefined) console.log('skipping the PostgreSQL credential store contract: SIGNET_TEST_PG_URL is not set');
else if (!pgReady) console.log('skipping the PostgreSQL credential store contract: the "pg" driver is not installed');

if (pgReady) {
  credentialStoreContract('PostgreSQL', async () => {
    // A schema of its own, so this suite neither sees nor disturbs other suites on the same database.
    const schema = `signet_contract_${randomBytes(6).toString('hex')}`;
    const db = knexFactory({ client: 'pg', connection: PG_URL, searchPath: [schema], pool: { min: 0, max: 4 } });
    await db.raw('create schema ??', [schema]);
    await migrateToLatest(db);
    return {
      store: new KnexCredentialStore(db),
      close: async () => {
        await rollbackAll(db);
        await db.raw('drop schema ?? cascade', [schema]);
        await db.destroy();
      },
    };
  });
}
