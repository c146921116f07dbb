import type { Knex } from 'knex';

// Portable schema only (runs unchanged on SQLite and PostgreSQL). Times are epoch milliseconds.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('consumers', (table) => {
    table.string('plan', 64).nullable();
    // JSON text: a flat object of short strings, numbers and booleans chosen by the admin.
    table.text('metadata').notNullable().defaultTo('{}');
    // JSON text: which signing modes the consumer may use (the HMAC issue adds "hmac").
    table.text('allowed_modes').notNullable().defaultTo('["ed25519"]');
  });
  await knex.schema.alterTable('consumers', (table) => {
    table.index(['created_at', 'id']);
  });

  // Append-only: the stores insert and read, never update or delete. No foreign keys, so the
  // history of a deleted consumer outlives it.
  await knex.schema.createTable('audit_log', (table) => {
    table.increments('id').primary();
    table.bigInteger('at').notNullable();
    table.string('actor', 128).notNullable();
    table.string('action', 64).notNullable();
    table.string('target_type', 32).notNullable();
    table.string('target_id', 64).notNullable();
    table.string('consumer_id', 64).nullable();
    table.string('request_id', 64).nullable();
    table.string('source_ip', 64).nullable();
    table.text('before').nullable();
    table.text('after').nullable();
    table.index(['at']);
    table.index(['consumer_id', 'id']);
  });

  // Only the SHA-256 of a code is stored: a database copy does not let anyone enroll.
  await knex.schema.createTable('enrollment_codes', (table) => {
    table.string('id', 64).primary();
    table.string('consumer_id', 64).notNullable().references('id').inTable('consumers').onDelete('CASCADE');
    table.string('code_hash', 64).notNullable().unique();
    table.text('scopes').notNullable().defaultTo('[]');
    table.string('created_by', 128).notNullable();
    table.bigInteger('created_at').notNullable();
    table.bigInteger('expires_at').notNullable();
    table.bigInteger('used_at').nullable();
    table.string('used_key_id', 64).nullable();
    table.index(['consumer_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('enrollment_codes');
  await knex.schema.dropTable('audit_log');
  await knex.schema.alterTable('consumers', (table) => {
    table.dropIndex(['created_at', 'id']);
  });
  // Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+, PostgreSQL): knex's SQLite dropColumn rebuilds
  // the table, and dropping the old consumers table would cascade-delete every key.
  for (const column of ['allowed_modes', 'metadata', 'plan']) {
    await knex.raw('ALTER TABLE ?? DROP COLUMN ??', ['consumers', column]);
  }
}
