import type { Knex } from 'knex';
import type { Row } from './knex-rows.js';
import { compileOneParameterRead, sqliteFileOf, type OneParameterRead, type PooledClient } from './sqlite-prepared-read.js';

/*
 * Why a synchronous read at all: an asynchronous SQLite statement takes 0.2 ms, but its answer
 * comes back as an I/O callback, one or two turns of the event loop later, and under load a turn
 * is tens of milliseconds (docs/performance.md, "Cold keys"). A statement run on the calling
 * thread answers in the same turn. It never waits for a lock: busy timeout 0, and busy (or any
 * other failure) sends that one read down the asynchronous path instead.
 */

/** The part of `node:sqlite` this uses (its types are not in the Node 20 typings this builds with). */
interface SyncStatement {
  all(...parameters: unknown[]): unknown[];
}
interface SyncConnection {
  prepare(sql: string): SyncStatement;
  close(): void;
}

/** Opens a read-only, never-waiting connection to a SQLite file on the calling thread. */
export interface SqliteSyncDriver {
  open(filename: string): SyncConnection;
}

interface NodeSqlite {
  DatabaseSync: new (path: string, options: { readOnly: boolean; timeout: number }) => SyncConnection;
}

/**
 * `node:sqlite` when this Node has it (22.13 and later without a flag; 22.5 to 22.12 only with
 * --experimental-sqlite), else undefined: the one place that decides whether synchronous reads exist.
 * Node 22.13 to 24.14 print one ExperimentalWarning when it loads; it is left alone (filtering it
 * would mean replacing the process's warning handler for everybody).
 */
export function detectSqliteSyncDriver(): SqliteSyncDriver | undefined {
  let sqlite: Partial<NodeSqlite> | undefined;
  try {
    sqlite = process.getBuiltinModule?.('node:sqlite') as Partial<NodeSqlite> | undefined;
  } catch {
    return undefined;
  }
  const DatabaseSync = sqlite?.DatabaseSync;
  if (typeof DatabaseSync !== 'function') return undefined;
  return { open: (filename) => new DatabaseSync(filename, { readOnly: true, timeout: 0 }) };
}

/** Rows, or undefined when the synchronous read could not answer now and the caller must read asynchronously. */
export type SyncRead = (parameter: string) => Row[] | undefined;

/** After a failed open, this many reads go the asynchronous way before the next attempt. */
const READS_BETWEEN_OPEN_ATTEMPTS = 1_000;

/**
 * One read-only connection of its own to the database file (beside knex's, as SqliteSideRead: in
 * WAL mode a reader never waits for the writer), its statement prepared once. Opened on the first
 * read; closed when knex's pool destroys its connection (at db.destroy()), opened again by a later read.
 */
class SqliteSyncRead {
  private connection: SyncConnection | undefined;
  private statement: SyncStatement | undefined;
  private readsUntilNextOpen = 0;
  private readonly hookedPools = new WeakSet<object>();

  constructor(
    private readonly driver: SqliteSyncDriver,
    private readonly client: PooledClient,
    private readonly filename: string,
    private readonly read: OneParameterRead,
  ) {}

  rows(parameter: string): Row[] | undefined {
    this.closeWithPool();
    try {
      const statement = this.statement ?? this.prepare();
      if (statement === undefined) return undefined;
      // all(), not get(): it steps to SQLITE_DONE, so no read transaction stays open between lookups.
      return statement.all(...this.read.bind(parameter)) as Row[];
    } catch {
      // SQLITE_BUSY (a checkpoint or recovery holding the lock) or anything else: this read goes the
      // asynchronous way, which waits and reports a real failure as that path always has.
      return undefined;
    }
  }

  private prepare(): SyncStatement | undefined {
    if (this.connection === undefined) {
      if (this.readsUntilNextOpen > 0) {
        this.readsUntilNextOpen--;
        return undefined;
      }
      try {
        this.connection = this.driver.open(this.filename);
      } catch (error) {
        this.readsUntilNextOpen = READS_BETWEEN_OPEN_ATTEMPTS;
        throw error;
      }
    }
    // A failed prepare (a table not migrated yet) is tried again by the next read.
    this.statement = this.connection.prepare(this.read.sql);
    return this.statement;
  }

  private closeWithPool(): void {
    const pool = this.client.pool;
    if (pool === undefined || this.hookedPools.has(pool)) return;
    this.hookedPools.add(pool);
    pool.on('destroyRequest', () => {
      const connection = this.connection;
      this.connection = undefined;
      this.statement = undefined;
      // close() finalizes the statements prepared on it; nothing runs on it meanwhile (synchronous).
      try {
        connection?.close();
      } catch {
        // Already closed: nothing left open.
      }
    });
  }
}

/**
 * `build(parameter)` read synchronously on a connection of its own when `db` reads a SQLite file
 * outside a transaction; undefined otherwise (PostgreSQL, a transaction, an in-memory database,
 * which exists on knex's connection only): there the caller keeps its asynchronous read.
 */
export function syncSqliteRead(driver: SqliteSyncDriver, db: Knex, build: (parameter: string) => Knex.QueryBuilder): SyncRead | undefined {
  const file = sqliteFileOf(db);
  if (file === undefined) return undefined;
  const read = new SqliteSyncRead(driver, file.client, file.filename, compileOneParameterRead(build));
  return (parameter) => read.rows(parameter);
}
