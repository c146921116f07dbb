import type { Knex } from 'knex';
import sqlite3, { type Database, type Statement } from 'sqlite3';
import type { Row } from './knex-rows.js';

/*
 * This module is the one place that reaches into knex's client (its pool and connection hand-out,
 * which knex does not document): knex has no prepared statements, and the key lookup on every
 * request spent most of its tail in knex's per-query building. Everything else stays on knex's
 * public API; test/store/sqlite-prepared-read.test.ts pins what this relies on.
 */

/** Stands for the query's one parameter while knex compiles it; never a value a caller passes. */
const PARAMETER = '\u0000signet-prepared-parameter\u0000';

/** The part of knex's client this uses: its pool (tarn) and the connection hand-out around it. */
export interface PooledClient {
  dialect?: string;
  config?: { connection?: { filename?: string } };
  pool?: {
    on(event: 'destroyRequest' | 'destroySuccess' | 'destroyFail', listener: (eventId: number, connection: Database) => void): void;
    numUsed(): number;
    numFree(): number;
    numPendingCreates(): number;
    destroyed: boolean;
    pendingDestroys: unknown[];
  };
  acquireConnection(): Promise<Database>;
  releaseConnection(connection: Database): Promise<void>;
}

/** A query of one parameter compiled by knex once: its SQL, and its bindings with a value in place. */
export interface OneParameterRead {
  sql: string;
  bind(parameter: string): unknown[];
}

export function compileOneParameterRead(build: (parameter: string) => Knex.QueryBuilder): OneParameterRead {
  const compiled = build(PARAMETER).toSQL().toNative();
  if (compiled.bindings.filter((binding) => binding === PARAMETER).length !== 1) throw new Error('a prepared read takes exactly one parameter');
  const bindings = compiled.bindings;
  return { sql: compiled.sql, bind: (parameter) => bindings.map((binding) => (binding === PARAMETER ? parameter : binding)) };
}

/**
 * knex's SQLite client and the file it opens, when `db` reads a database file outside a
 * transaction; undefined for PostgreSQL, a transaction (its reads stay on the connection it holds)
 * and an in-memory database (which exists on knex's one connection only).
 */
export function sqliteFileOf(db: Knex): { client: PooledClient; filename: string } | undefined {
  const client = db.client as PooledClient;
  if (client.dialect !== 'sqlite3' || (db as { isTransaction?: boolean }).isTransaction === true) return undefined;
  const filename = client.config?.connection?.filename;
  return filename === undefined || filename === '' || filename === ':memory:' ? undefined : { client, filename };
}

/**
 * A read with one parameter, compiled by knex once and prepared once per raw SQLite connection,
 * then run without knex's per-query building and runner: on a hot read that overhead was most of
 * the tail. It takes its connection from knex's pool like any knex query, so it waits
 * behind a transaction holding the connection rather than reading beside it.
 */
class SqlitePreparedRead {
  private readonly statements = new WeakMap<Database, Statement>();
  private readonly hookedPools = new WeakSet<object>();
  private readonly sql: string;

  constructor(
    private readonly client: PooledClient,
    private readonly read: OneParameterRead,
  ) {
    this.sql = read.sql;
  }

  async rows(parameter: string): Promise<Row[]> {
    this.finalizeWithConnections();
    const connection = await this.client.acquireConnection();
    try {
      const statement = this.statements.get(connection) ?? (await this.prepare(connection));
      const bindings = this.read.bind(parameter);
      // all(), not get(): it steps to SQLITE_DONE, so the statement ends its read transaction
      // instead of holding a WAL snapshot open until the next lookup.
      return await new Promise<Row[]>((resolve, reject) => {
        statement.all<Row>(bindings, (error, rows) => (error === null ? resolve(rows) : reject(error)));
      });
    } finally {
      await this.client.releaseConnection(connection);
    }
  }

  private prepare(connection: Database): Promise<Statement> {
    // The callback form: without it a failed prepare is an 'error' event nobody listens to.
    return new Promise((resolve, reject) => {
      const statement = connection.prepare(this.sql, (error: Error | null) => {
        if (error !== null) return reject(error);
        this.statements.set(connection, statement);
        resolve(statement);
      });
    });
  }

  /**
   * SQLite refuses to close a connection with a statement still prepared on it, and the pool only
   * logs that failure: the file would stay open. So each statement is finalized as the pool starts
   * destroying its connection (it destroys idle connections only, so no statement is running).
   */
  private finalizeWithConnections(): void {
    const pool = this.client.pool;
    if (pool === undefined || this.hookedPools.has(pool)) return;
    this.hookedPools.add(pool);
    pool.on('destroyRequest', (_eventId, connection) => {
      this.statements.get(connection)?.finalize();
      this.statements.delete(connection);
    });
  }
}

/**
 * The same read on a connection of its own to the database file, beside knex's one connection: in
 * WAL mode a reader never waits for a writer, so a lookup does not queue behind the last-use and
 * usage writes (each a commit, and a commit waits for the disk). It reads what is committed, as a
 * read after the writer's commit would. Opened on the first read; closed once knex's pool has closed
 * its connection (at db.destroy()), and opened again by a later read.
 */
class SqliteSideRead {
  private opened: Promise<{ connection: Database; statement: Statement }> | undefined;
  private readonly hookedPools = new WeakSet<object>();

  constructor(
    private readonly client: PooledClient,
    private readonly filename: string,
    private readonly read: OneParameterRead,
  ) {}

  async rows(parameter: string): Promise<Row[]> {
    this.closeWithPool();
    const { statement } = await (this.opened ??= this.open());
    const bindings = this.read.bind(parameter);
    // all(), not get(): it steps to SQLITE_DONE and ends its read transaction (no snapshot held).
    return new Promise<Row[]>((resolve, reject) => {
      statement.all<Row>(bindings, (error, rows) => (error === null ? resolve(rows) : reject(error)));
    });
  }

  private open(): Promise<{ connection: Database; statement: Statement }> {
    const opening = new Promise<{ connection: Database; statement: Statement }>((resolve, reject) => {
      const connection: Database = new sqlite3.Database(this.filename, sqlite3.OPEN_READWRITE, (error) => {
        if (error !== null) return reject(error);
        // As knex's connection: wait for a lock (a checkpoint) rather than fail at once.
        connection.exec('PRAGMA busy_timeout = 5000;', (pragmaError) => {
          if (pragmaError !== null) return connection.close(() => reject(pragmaError));
          const statement = connection.prepare(this.read.sql, (prepareError: Error | null) => {
            if (prepareError !== null) return connection.close(() => reject(prepareError));
            resolve({ connection, statement });
          });
        });
      });
    });
    // A failed open is tried again by the next read.
    opening.catch(() => {
      if (this.opened === opening) this.opened = undefined;
    });
    return opening;
  }

  private closeWithPool(): void {
    const pool = this.client.pool;
    if (pool === undefined || this.hookedPools.has(pool)) return;
    this.hookedPools.add(pool);
    // After knex's connection has closed, not beside it: two connections closing at once each see
    // the other still open, so neither checkpoints and removes the WAL file. Closed last, this one does.
    const close = () => {
      const opened = this.opened;
      this.opened = undefined;
      // finalize and close queue behind the reads already sent on this connection.
      void opened?.then(
        ({ connection, statement }) => statement.finalize(() => connection.close()),
        () => undefined,
      );
    };
    pool.on('destroySuccess', close);
    pool.on('destroyFail', close);
  }
}

/**
 * `build(parameter)` run through a statement prepared per connection when `db` is SQLite outside a
 * transaction; undefined otherwise (PostgreSQL; a transaction, whose few reads keep knex's path on
 * the connection it holds). With `sideConnection`, a database file is read on a connection of its
 * own (SqliteSideRead); an in-memory database, which exists on knex's connection only, is not.
 */
export function preparedSqliteRead(db: Knex, build: (parameter: string) => Knex.QueryBuilder, options: { sideConnection?: boolean } = {}): ((parameter: string) => Promise<Row[]>) | undefined {
  const client = db.client as PooledClient;
  if (client.dialect !== 'sqlite3' || (db as { isTransaction?: boolean }).isTransaction === true) return undefined;
  const read = compileOneParameterRead(build);
  const file = sqliteFileOf(db);
  if (options.sideConnection === true && file !== undefined) {
    const side = new SqliteSideRead(client, file.filename, read);
    return (parameter) => side.rows(parameter);
  }
  const prepared = new SqlitePreparedRead(client, read);
  return (parameter) => prepared.rows(parameter);
}
