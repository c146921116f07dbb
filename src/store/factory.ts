import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import { KnexAuditStore } from './knex-audit.js';
import { KnexCredentialStore } from './knex-credential-store.js';
import { KnexEnrollmentStore } from './knex-enrollment-store.js';
import { KnexHmacSecretStore } from './knex-hmac-secret-store.js';
import { KnexUsageStore } from './knex-usage-store.js';
import { MemoryRateLimitStore } from './memory-rate-limit-store.js';
import { MemoryReplayStore } from './memory-replay-store.js';
import { migrateToLatest } from './migrations.js';
import type { AuditStore, CredentialStore, EnrollmentStore, HmacSecretStore, RateLimitStore, ReplayStore, UsageStore } from './types.js';

export interface Stores {
  db: Knex;
  credentials: CredentialStore;
  replay: ReplayStore;
  audit: AuditStore;
  enrollment: EnrollmentStore;
  rateLimits: RateLimitStore;
  usage: UsageStore;
  /** Encrypted HMAC secrets (docs/modes.md). */
  hmacSecrets: HmacSecretStore;
  close(): Promise<void>;
}

/** Opens the SQLite database at `path` (`:memory:` for a throwaway one) in WAL mode. */
export function openSqlite(path: string): Knex {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  return knexFactory({
    client: 'sqlite3',
    connection: { filename: path },
    useNullAsDefault: true,
    // One connection: SQLite serialises writers anyway, and :memory: databases are per connection.
    pool: {
      min: 1,
      max: 1,
      afterCreate: (conn: { exec(sql: string, cb: (err: Error | null) => void): void }, done: (err: Error | null, conn: unknown) => void) => {
        conn.exec('PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;', (err) => done(err, conn));
      },
    },
  });
}

/** Picks store implementations from the configuration. */
export async function createStores(config: Pick<Config, 'db' | 'replayCapacity' | 'migrateOnStart'>, clock: Clock): Promise<Stores> {
  const db = openSqlite(config.db);
  try {
    if (config.migrateOnStart) await migrateToLatest(db);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return {
    db,
    credentials: new KnexCredentialStore(db),
    replay: new MemoryReplayStore({ clock, capacity: config.replayCapacity }),
    audit: new KnexAuditStore(db),
    enrollment: new KnexEnrollmentStore(db),
    rateLimits: new MemoryRateLimitStore(clock),
    usage: new KnexUsageStore(db),
    hmacSecrets: new KnexHmacSecretStore(db),
    close: () => db.destroy(),
  };
}
