import type { Knex } from 'knex';
import { afterAll, beforeAll } from 'vitest';
import { KnexAuditStore } from '../../src/store/knex-audit.js';
import { KnexCredentialStore } from '../../src/store/knex-credential-store.js';
import { KnexEnrollmentStore } from '../../src/store/knex-enrollment-store.js';

export interface OpenedDb {
  db: Knex;
  close(): Promise<void>;
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
