import type { Knex } from 'knex';
import type pg from 'pg';
import type { Row } from './knex-rows.js';

/*
 * Like sqlite-prepared-read.ts, this reaches into knex's client (its connection hand-out, which
 * knex does not document) because knex cannot name a statement: node-postgres prepares a named
 * statement once per connection and then only binds and executes it, where knex sends the text to
 * be parsed and planned on every call. test/store/postgres.test.ts pins what this relies on.
 */

/** Stands for the query's one parameter while knex compiles it; never a value a caller passes. */
const PARAMETER = '\u0000signet-prepared-parameter\u0000';

interface PooledPgClient {
  dialect?: string;
  acquireConnection(): Promise<pg.PoolClient>;
  releaseConnection(connection: pg.PoolClient): Promise<void>;
}

/**
 * `build(parameter)` run as the named prepared statement `name` when `db` is PostgreSQL outside a
 * transaction; undefined otherwise. The connection comes from knex's pool like any knex query's,
 * with the same statement timeout and type parsers (set on the connection).
 */
export function preparedPostgresRead(db: Knex, name: string, build: (parameter: string) => Knex.QueryBuilder): ((parameter: string) => Promise<Row[]>) | undefined {
  const client = db.client as PooledPgClient;
  if (client.dialect !== 'postgresql' || (db as { isTransaction?: boolean }).isTransaction === true) return undefined;
  const compiled = build(PARAMETER).toSQL().toNative();
  if (compiled.bindings.filter((binding) => binding === PARAMETER).length !== 1) throw new Error('a prepared read takes exactly one parameter');
  const text = compiled.sql;
  const bindings = compiled.bindings;
  return async (parameter) => {
    const connection = await client.acquireConnection();
    try {
      const values = bindings.map((binding) => (binding === PARAMETER ? parameter : binding));
      return (await connection.query<Row>({ name, text, values: values as unknown[] })).rows;
    } finally {
      await client.releaseConnection(connection);
    }
  };
}
