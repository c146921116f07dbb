import type { Knex } from 'knex';

// Portable schema only (runs unchanged on SQLite and PostgreSQL). Times are epoch milliseconds.
export async function up(knex: Knex): Promise<void> {
  // The encrypted secrets of HMAC keys (docs/modes.md), one row per key, kept apart from `keys` so
  // nothing that reads keys can pick up a secret by accident. AES-256-GCM under a master key that
  // is never in the database: `master_key_version` names it, `record_version` counts re-encryptions,
  // and both are bound, with the key's consumer and id, into the additional authenticated data.
  await knex.schema.createTable('hmac_secrets', (table) => {
    table.string('key_id', 64).primary().references('id').inTable('keys').onDelete('CASCADE');
    table.integer('master_key_version').notNullable();
    table.integer('record_version').notNullable();
    // base64url: the 96-bit IV, and the ciphertext with its 128-bit tag appended.
    table.string('iv', 16).notNullable();
    table.text('ciphertext').notNullable();
    table.bigInteger('updated_at').notNullable();
    table.index(['master_key_version']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('hmac_secrets');
}
