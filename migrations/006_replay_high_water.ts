import type { Knex } from 'knex';

// Portable schema only (runs unchanged on SQLite and PostgreSQL). Times are epoch milliseconds.
export async function up(knex: Knex): Promise<void> {
  // One row: the time up to which one-time tokens may have been accepted by any instance. It
  // lives here rather than in Redis because it must survive a Redis that loses its data: it tells
  // a new, empty replay cache how far back its missing history could reach (docs/security.md).
  await knex.schema.createTable('replay_high_water', (table) => {
    table.integer('id').primary();
    table.bigInteger('accepted_until').nullable();
  });
  await knex('replay_high_water').insert({ id: 1, accepted_until: null });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('replay_high_water');
}
