import { openSqlite } from '../../src/store/factory.js';
import { KnexCredentialStore } from '../../src/store/knex-credential-store.js';
import { migrateToLatest } from '../../src/store/migrations.js';
import { createPgSchema, servicesAvailable } from '../helpers/services.js';
import { credentialStoreContract } from './credential-store.contract.js';

credentialStoreContract('SQLite', async () => {
  const db = openSqlite(':memory:');
  await migrateToLatest(db);
  return { store: new KnexCredentialStore(db), close: () => db.destroy() };
});

if (servicesAvailable('the PostgreSQL credential store contract', { pg: true })) {
  credentialStoreContract('PostgreSQL', async () => {
    // A schema of its own (through the production pool settings), so this suite neither sees nor disturbs others.
    const pg = await createPgSchema('contract');
    return { store: new KnexCredentialStore(pg.db), close: () => pg.drop() };
  });
}
