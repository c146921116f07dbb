import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import { KnexAuditStore } from './knex-audit.js';
import { KnexCredentialStore } from './knex-credential-store.js';
import { KnexEnrollmentStore } from './knex-enrollment-store.js';
import { KnexHmacSecretStore } from './knex-hmac-secret-store.js';
import { KnexReplayHighWater } from './knex-replay-high-water.js';
import { KnexUsageStore } from './knex-usage-store.js';
import { migrateToLatest, pendingMigrations } from './migrations.js';
import { SignetError } from '../protocol/errors.js';
import { openPostgres } from './postgres.js';
import { detectSqliteSyncDriver } from './sqlite-sync-read.js';
import { openSharedState, type StoreLog } from './shared-state.js';
import type { AuditStore, CredentialStore, EnrollmentStore, EventBus, FreshTokenCounter, HmacSecretStore, RateLimitStore, ReplayStore, SharedStateHealth, UsageStore } from './types.js';

export interface Stores {
  credentials: CredentialStore;
  replay: ReplayStore;
  audit: AuditStore;
  enrollment: EnrollmentStore;
  rateLimits: RateLimitStore;
  /** The replay check with a fresh token's rate-limit adds in one call (one round trip on Redis). */
  freshTokens: FreshTokenCounter;
  usage: UsageStore;
  /** Encrypted HMAC secrets (docs/modes.md). */
  hmacSecrets: HmacSecretStore;
  /** Spreads cache invalidations to the other instances (memory: within this process). */
  events: EventBus;
  /** Which engines hold the durable and the shared state. */
  engines: { database: 'sqlite' | 'postgres'; shared: 'memory' | 'redis' };
  /** The shared state (Redis) when configured; /readyz pings it. */
  sharedHealth?: SharedStateHealth;
  /**
   * Writes a consistent copy of the SQLite database to `path` (VACUUM INTO), for the comparison's
   * leak simulation; PostgreSQL has no such copy here, and refuses.
   */
  snapshotTo(path: string): Promise<void>;
  close(): Promise<void>;
}

/** The stores and, for tests that must inspect or damage rows, the knex handle beneath them. */
export interface StoresWithDatabase {
  stores: Stores;
  db: Knex;
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

export type DatabaseConfig = Pick<Config, 'db' | 'databaseUrl' | 'databasePoolMax' | 'databaseConnectTimeoutMs' | 'databaseQueryTimeoutMs'>;

/** The configured database: PostgreSQL when SIGNET_DATABASE_URL is set, else the SQLite file SIGNET_DB. */
export function openDatabase(config: DatabaseConfig, log?: StoreLog): Knex {
  if (config.databaseUrl === undefined) return openSqlite(config.db);
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(config.databaseUrl)?.[1]?.toLowerCase();
  if (scheme !== 'postgres' && scheme !== 'postgresql') {
    // loadConfig refuses this already; kept for callers that build a config by hand.
    throw new Error(`unsupported database URL scheme "${scheme ?? ''}": Signet runs on PostgreSQL (postgres://) or SQLite (SIGNET_DB)`);
  }
  return openPostgres({
    url: config.databaseUrl,
    poolMax: config.databasePoolMax,
    connectTimeoutMs: config.databaseConnectTimeoutMs,
    queryTimeoutMs: config.databaseQueryTimeoutMs,
    ...(log !== undefined ? { log } : {}),
  });
}

/** Where the data is, for messages: the SQLite file, or the PostgreSQL URL without its password. */
export function describeDatabase(config: Pick<Config, 'db' | 'databaseUrl'>): string {
  if (config.databaseUrl === undefined) return config.db;
  try {
    const url = new URL(config.databaseUrl);
    if (url.password !== '') url.password = '***';
    return url.toString();
  } catch {
    return 'PostgreSQL';
  }
}

export type StoresConfig = DatabaseConfig & Pick<Config, 'migrateOnStart' | 'sqliteSyncRead' | 'replayCapacity' | 'redisUrl' | 'redisPrefix' | 'redisTimeoutMs' | 'clockSkewSeconds'>;

/**
 * Picks store implementations from the configuration: knex on SQLite or PostgreSQL for durable
 * state; memory or Redis for the replay cache, rate limits and the event bus.
 */
export async function createStores(config: StoresConfig, clock: Clock, options: { log?: StoreLog } = {}): Promise<Stores> {
  return (await createStoresWithDatabase(config, clock, options)).stores;
}

/**
 * Stores on a schema older than their code would look ready and fail every request that touches a
 * missing table or column with a 500; they refuse to open instead, naming what is missing.
 */
async function refuseOutdatedSchema(db: Knex, config: DatabaseConfig): Promise<void> {
  const pending = await pendingMigrations(db);
  if (pending.length === 0) return;
  throw new SignetError('service_unavailable', {
    detail:
      `The database ${describeDatabase(config)} lacks ${pending.length} migration${pending.length === 1 ? '' : 's'} (${pending.join(', ')}) and SIGNET_MIGRATE_ON_START is false: ` +
      'run `signet migrate` with the same database settings, then start the server again.',
  });
}

/** createStores, also handing back the knex handle: for tests only; the application never needs it. */
export async function createStoresWithDatabase(config: StoresConfig, clock: Clock, options: { log?: StoreLog } = {}): Promise<StoresWithDatabase> {
  const db = openDatabase(config, options.log);
  try {
    if (config.migrateOnStart) await migrateToLatest(db);
    else await refuseOutdatedSchema(db, config);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  let shared;
  try {
    shared = await openSharedState(config, clock, options.log, new KnexReplayHighWater(db));
  } catch (error) {
    await db.destroy();
    throw error;
  }
  const database = config.databaseUrl === undefined ? 'sqlite' : 'postgres';
  // Only a SQLite file is read synchronously (syncSqliteRead stands aside for anything else); not
  // loading node:sqlite otherwise spares an in-memory database Node 22's ExperimentalWarning.
  const syncDriver = database === 'sqlite' && config.db !== ':memory:' && config.sqliteSyncRead ? detectSqliteSyncDriver() : undefined;
  const stores: Stores = {
    credentials: new KnexCredentialStore(db, syncDriver === undefined ? {} : { syncDriver }),
    replay: shared.replay,
    audit: new KnexAuditStore(db),
    enrollment: new KnexEnrollmentStore(db),
    rateLimits: shared.rateLimits,
    freshTokens: shared.freshTokens,
    usage: new KnexUsageStore(db),
    hmacSecrets: new KnexHmacSecretStore(db),
    events: shared.events,
    engines: { database, shared: shared.kind },
    ...(shared.health !== undefined ? { sharedHealth: shared.health } : {}),
    snapshotTo: async (path) => {
      if (database !== 'sqlite') throw new Error('a database snapshot is available on SQLite only');
      await db.raw('VACUUM INTO ?', [path]);
    },
    close: async () => {
      await shared.close();
      await db.destroy();
    },
  };
  return { stores, db };
}
