import type { Knex } from 'knex';

// Portable schema only (runs unchanged on SQLite and PostgreSQL). Times are epoch milliseconds.
export async function up(knex: Knex): Promise<void> {
  // Set once when an admin cancels a code that was not used; a cancelled code never enrolls.
  await knex.schema.alterTable('enrollment_codes', (table) => {
    table.bigInteger('cancelled_at').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  // Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+, PostgreSQL), as in 002: knex's SQLite
  // dropColumn would rebuild the table.
  await knex.raw('ALTER TABLE ?? DROP COLUMN ??', ['enrollment_codes', 'cancelled_at']);
}
