import type { Knex } from 'knex';

// Times are integer milliseconds since the epoch (bigint) so SQLite and PostgreSQL store them alike.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('consumers', (table) => {
    table.string('id', 64).primary();
    table.string('name', 200).notNullable();
    table.string('status', 16).notNullable().defaultTo('active');
    table.bigInteger('created_at').notNullable();
    table.bigInteger('updated_at').notNullable();
  });
  await knex.schema.createTable('keys', (table) => {
    table.string('id', 64).primary();
    table.string('consumer_id', 64).notNullable().references('id').inTable('consumers').onDelete('CASCADE');
    table.string('type', 16).notNullable();
    table.string('public_key', 64).nullable();
    table.string('thumbprint', 64).nullable().unique();
    table.string('label', 200).notNullable().defaultTo('');
    table.text('scopes').notNullable().defaultTo('[]');
    table.bigInteger('not_before').nullable();
    table.bigInteger('expires_at').nullable();
    table.bigInteger('revoked_at').nullable();
    table.bigInteger('last_used_at').nullable();
    table.bigInteger('created_at').notNullable();
    table.index(['consumer_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('keys');
  await knex.schema.dropTable('consumers');
}
