import knexFactory, { type Knex } from 'knex';
import pg from 'pg';

export interface PostgresOptions {
  /** postgres:// or postgresql:// connection URL (user, password, host, port, database, ?sslmode=...). */
  url: string;
  /** Most connections this process opens. */
  poolMax: number;
  /** How long connecting, or waiting for a free pooled connection, may take before the call fails. */
  connectTimeoutMs: number;
  /** How long one statement may run before the client gives up on it (a dead server never hangs a request). */
  queryTimeoutMs: number;
  /** Shown in pg_stat_activity. */
  applicationName?: string;
  /** Where knex's own warnings go (a dropped connection, for instance); default nowhere. */
  log?: { warn(fields: object, message: string): void };
  /** Tables live in this schema (tests use a throwaway schema per suite); default the server's search_path. */
  schema?: string;
}

const INT8_OID = 20;

/**
 * bigint columns (all our epoch-millisecond times, counts) arrive as JavaScript numbers instead of
 * strings. Safe here: times and counters stay far below 2^53. Set per connection, not through pg's
 * global type registry, so nothing else in the process is affected.
 */
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID && format !== 'binary') return (value: string) => Number(value);
    return format === 'binary' ? pg.types.getTypeParser(oid, 'binary') : pg.types.getTypeParser(oid, 'text');
  },
};

/**
 * Opens a knex pool on PostgreSQL. Every wait has a bound: connecting and acquiring a pooled
 * connection (connectTimeoutMs), and each statement (queryTimeoutMs, client side, so it also
 * covers a server that stopped answering). A request that needs the database while it is down
 * therefore fails within seconds, and the error middleware turns that into 503.
 */
export function openPostgres(options: PostgresOptions): Knex {
  return knexFactory({
    client: 'pg',
    connection: {
      connectionString: options.url,
      connectionTimeoutMillis: options.connectTimeoutMs,
      query_timeout: options.queryTimeoutMs,
      application_name: options.applicationName ?? 'signet',
      // TCP keep-alive notices a peer that vanished without closing the connection.
      keepAlive: true,
      types,
    } as Knex.PgConnectionConfig,
    ...(options.schema !== undefined ? { searchPath: [options.schema] } : {}),
    acquireConnectionTimeout: options.connectTimeoutMs,
    log: {
      warn: (message: string) => options.log?.warn({ database: 'postgres' }, String(message)),
      error: (message: string) => options.log?.warn({ database: 'postgres' }, String(message)),
      deprecate: () => undefined,
      debug: () => undefined,
    },
    // min 0: no connection is held open for nothing, and a restarted server is reconnected on demand.
    pool: { min: 0, max: options.poolMax },
  });
}
