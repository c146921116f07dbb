import type { Knex } from 'knex';
import { lookAlikeKey } from '../src/protocol/look-alike.js';

// Portable schema only (runs unchanged on SQLite and PostgreSQL).
export async function up(knex: Knex): Promise<void> {
  // Not unique: names that look alike are warned about, not refused, and older databases may hold some.
  await knex.schema.alterTable('consumers', (table) => {
    table.string('name_key', 200).nullable();
    table.index(['name_key'], 'consumers_name_key');
  });
  const rows = (await knex('consumers').select('id', 'name')) as Array<{ id: string; name: string }>;
  for (const row of rows)
    await knex('consumers')
      .where({ id: row.id })
      .update({ name_key: lookAlikeKey(row.name) });
}

export async function down(knex: Knex): Promise<void> {
  // Plain DROP INDEX and ALTER TABLE ... DROP COLUMN (SQLite 3.35+, PostgreSQL), as in 005: knex's
  // SQLite dropColumn would rebuild the consumers table, and its foreign keys would cascade.
  await knex.raw('DROP INDEX consumers_name_key');
  await knex.raw('ALTER TABLE ?? DROP COLUMN ??', ['consumers', 'name_key']);
}
