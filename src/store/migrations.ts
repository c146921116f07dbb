import type { Knex } from 'knex';
import * as m001 from '../../migrations/001_consumers_and_keys.js';
import * as m002 from '../../migrations/002_lifecycle_and_audit.js';
import * as m003 from '../../migrations/003_rate_limits_and_usage.js';
import * as m004 from '../../migrations/004_hmac_secrets.js';
import * as m005 from '../../migrations/005_enrollment_code_cancellation.js';
import * as m006 from '../../migrations/006_replay_high_water.js';
import * as m007 from '../../migrations/007_consumer_name_key.js';
import * as m008 from '../../migrations/008_usage_format.js';

interface Migration {
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

/**
 * Migrations are imported, not discovered on disk, so the same list runs from TypeScript sources
 * (tests) and from the compiled package. Append new migrations; never edit a released one.
 */
const MIGRATIONS: ReadonlyArray<readonly [string, Migration]> = [
  ['001_consumers_and_keys', m001],
  ['002_lifecycle_and_audit', m002],
  ['003_rate_limits_and_usage', m003],
  ['004_hmac_secrets', m004],
  ['005_enrollment_code_cancellation', m005],
  ['006_replay_high_water', m006],
  ['007_consumer_name_key', m007],
  ['008_usage_format', m008],
];

const migrationSource: Knex.MigrationSource<readonly [string, Migration]> = {
  getMigrations: async () => [...MIGRATIONS],
  getMigrationName: ([name]) => name,
  getMigration: async ([, migration]) => migration,
};

export const migrationConfig: Knex.MigratorConfig = { migrationSource, tableName: 'signet_migrations' };

export async function migrateToLatest(knex: Knex): Promise<void> {
  await knex.migrate.latest(migrationConfig);
}

export async function rollbackAll(knex: Knex): Promise<void> {
  await knex.migrate.rollback(migrationConfig, true);
}

/** The names of the migrations not yet applied to this database, in order. */
export async function pendingMigrations(knex: Knex): Promise<string[]> {
  const [, pending] = (await knex.migrate.list(migrationConfig)) as [unknown[], Array<readonly [string, Migration]>];
  return pending.map(([name]) => name);
}
