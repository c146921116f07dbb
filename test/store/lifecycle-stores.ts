import type { Knex } from 'knex';
import { afterAll, beforeAll } from 'vitest';
import { KnexAuditStore } from '../../src/store/knex-audit.js';
import { KnexCredentialStore } from '../../src/store/knex-credential-store.js';
import { KnexEnrollmentStore } from '../../src/store/knex-enrollment-store.js';
import { openSqlite } from '../../src/store/factory.js';
import { migrateToLatest, rollbackAll } from '../../src/store/migrations.js';
import { createPgSchema } from '../helpers/services.js';

export interface OpenedDb {
  db: Knex;
  close(): Promise<void>;
}

/** A migrated in-memory SQLite database: what the store suites run on first. */
export async function openMigratedSqlite(): Promise<OpenedDb> {
  const db = openSqlite(':memory:');
  await migrateToLatest(db);
  return { db, close: () => db.destroy() };
}

/**
 * A migrated PostgreSQL schema of its own (createPgSchema), so a suite neither sees nor disturbs
 * others on the same database; on close every migration is rolled back over the suite's rows,
 * then the schema is dropped.
 */
export async function openRolledBackPgSchema(label: string): Promise<OpenedDb> {
  const pg = await createPgSchema(label);
  return {
    db: pg.db,
    close: async () => {
      await rollbackAll(pg.db);
      await pg.drop();
    },
  };
}

export interface LifecycleStores {
  credentials: KnexCredentialStore;
  audit: KnexAuditStore;
  enrollment: KnexEnrollmentStore;
}

/**
 * For a describe block: opens the database before its tests, builds the three lifecycle stores on
 * it and closes it after. `use` receives the stores: `withLifecycleStores(open, (s) => ({ credentials, audit } = s))`.
 */
export function withLifecycleStores(open: () => Promise<OpenedDb>, use: (stores: LifecycleStores) => void): void {
  let opened: OpenedDb | undefined;
  beforeAll(async () => {
    opened = await open();
    use({ credentials: new KnexCredentialStore(opened.db), audit: new KnexAuditStore(opened.db), enrollment: new KnexEnrollmentStore(opened.db) });
  });
  afterAll(async () => opened?.close());
}
