import type { Knex } from 'knex';

const TABLE = 'usage_rollups';

/** The roll-up key as 003 made it; this migration adds `format` to it. Spelled out: a migration is history. */
const KEY_BEFORE = ['granularity', 'bucket_start', 'consumer_id', 'key_id', 'mode', 'method', 'route', 'status'] as const;
const KEY_AFTER = [...KEY_BEFORE, 'format'] as const;

// Portable schema only (runs unchanged on SQLite and PostgreSQL).
export async function up(knex: Knex): Promise<void> {
  // Every row written before this migration came from a JWS request: the only format there was.
  // The request format becomes part of the primary key, so that the upsert keeps the formats apart.
  // On PostgreSQL the key is dropped and added again; on SQLite knex rebuilds the table (nothing
  // references usage_rollups, so the rebuild cannot cascade anywhere) and recreates its index.
  await knex.schema.alterTable(TABLE, (table) => {
    table.string('format', 16).notNullable().defaultTo('jws');
  });
  await knex.schema.alterTable(TABLE, (table) => {
    table.dropPrimary();
    table.primary([...KEY_AFTER]);
  });
}

export async function down(knex: Knex): Promise<void> {
  // Fold the other formats' rows into the jws row of the same older key (summed as the usage store
  // sums), so the older primary key holds and no request disappears from the totals.
  const sum = (column: string) => knex.raw('?? + excluded.??', [`${TABLE}.${column}`, column]);
  const folded = knex(TABLE)
    .whereNot('format', 'jws')
    .groupBy([...KEY_BEFORE])
    .select([...KEY_BEFORE])
    .select(knex.raw('? as format', ['jws']))
    .sum({ requests: 'requests' })
    .sum({ latency_ms_sum: 'latency_ms_sum' })
    .max({ latency_ms_max: 'latency_ms_max' })
    .sum({ bytes_in: 'bytes_in' })
    .sum({ bytes_out: 'bytes_out' });
  // "WHERE true" tells SQLite's parser that ON CONFLICT belongs to the INSERT, not to a join of the SELECT.
  await knex.raw(
    `INSERT INTO ?? (??, format, requests, latency_ms_sum, latency_ms_max, bytes_in, bytes_out) SELECT * FROM (${folded.toQuery()}) AS folded WHERE true
     ON CONFLICT (??) DO UPDATE SET requests = ?, latency_ms_sum = ?, bytes_in = ?, bytes_out = ?,
       latency_ms_max = CASE WHEN excluded.latency_ms_max > ??.latency_ms_max THEN excluded.latency_ms_max ELSE ??.latency_ms_max END`,
    [TABLE, [...KEY_BEFORE], [...KEY_AFTER], sum('requests'), sum('latency_ms_sum'), sum('bytes_in'), sum('bytes_out'), TABLE, TABLE],
  );
  await knex(TABLE).whereNot('format', 'jws').delete();
  await knex.schema.alterTable(TABLE, (table) => {
    table.dropPrimary();
    table.primary([...KEY_BEFORE]);
  });
  // Plain ALTER TABLE ... DROP COLUMN, as in the other migrations; the column is no longer in the key.
  await knex.raw('ALTER TABLE ?? DROP COLUMN ??', [TABLE, 'format']);
}
