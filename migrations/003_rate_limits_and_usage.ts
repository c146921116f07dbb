import type { Knex } from 'knex';

/** The columns that identify one roll-up row; the usage store upserts on them. */
export const USAGE_KEY_COLUMNS = ['granularity', 'bucket_start', 'consumer_id', 'key_id', 'mode', 'method', 'route', 'status'] as const;

// Portable schema only (runs unchanged on SQLite and PostgreSQL). Times are epoch milliseconds.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('consumers', (table) => {
    // JSON text: per-consumer rate-limit windows over the plan's ([{name, limit, window}]); null for none.
    table.text('rate_limit_overrides').nullable();
  });

  // Usage roll-ups by minute, hour and day. No foreign keys: the history of a deleted consumer or
  // key stays until retention removes it. Rows are written in batches (one transaction per flush).
  await knex.schema.createTable('usage_rollups', (table) => {
    table.string('granularity', 8).notNullable();
    table.bigInteger('bucket_start').notNullable();
    table.string('consumer_id', 64).notNullable();
    table.string('key_id', 64).notNullable();
    table.string('mode', 16).notNullable();
    table.string('method', 16).notNullable();
    table.string('route', 200).notNullable();
    table.integer('status').notNullable();
    table.bigInteger('requests').notNullable();
    table.double('latency_ms_sum').notNullable();
    table.double('latency_ms_max').notNullable();
    table.bigInteger('bytes_in').notNullable();
    table.bigInteger('bytes_out').notNullable();
    table.primary([...USAGE_KEY_COLUMNS]);
    table.index(['granularity', 'consumer_id', 'bucket_start']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('usage_rollups');
  // Plain ALTER TABLE ... DROP COLUMN: knex's SQLite dropColumn rebuilds the table, and dropping
  // the old consumers table would cascade-delete every key (see 002).
  await knex.raw('ALTER TABLE ?? DROP COLUMN ??', ['consumers', 'rate_limit_overrides']);
}
