import type { Knex } from 'knex';

const isPostgres = (knex: Knex): boolean => (knex.client as { dialect?: string }).dialect === 'postgresql';

// Portable schema (runs unchanged on SQLite and PostgreSQL), plus two widenings PostgreSQL needs.
export async function up(knex: Knex): Promise<void> {
  // Where a consumer publishes its keys (a JWKS or a Web Bot Auth key directory), and the scopes its
  // directory keys get; both null when it has none.
  await knex.schema.alterTable('consumers', (table) => {
    table.string('key_directory_url', 2048).nullable();
    table.text('key_directory_scopes').nullable();
  });
  if (isPostgres(knex)) {
    // A directory key id (`con_..._<kid>`) is up to 128 characters, and a key-set change is audited
    // under its directory URL. SQLite does not enforce varchar lengths; PostgreSQL widens a varchar
    // without rewriting the table.
    await knex.raw('ALTER TABLE usage_rollups ALTER COLUMN key_id TYPE varchar(128)');
    await knex.raw('ALTER TABLE audit_log ALTER COLUMN target_id TYPE varchar(2048)');
  }
}

export async function down(knex: Knex): Promise<void> {
  // Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+, PostgreSQL), as in 005: knex's SQLite
  // dropColumn would rebuild the consumers table, and its foreign keys would cascade. The widened
  // columns stay wide: narrowing could fail on rows written since.
  for (const column of ['key_directory_scopes', 'key_directory_url']) await knex.raw('ALTER TABLE ?? DROP COLUMN ??', ['consumers', column]);
}
