import type { Knex } from 'knex';
import type { Row } from './knex-rows.js';
import { compileOneParameterRead, sqliteFileOf, type OneParameterRead, type PooledClient } from './sqlite-prepared-read.js';

/*
 * Why a synchronous read at all: an asynchronous SQLite statement takes 0.2 ms, but its answer
 * comes back as an I/O callback, one or two turns of the event loop later, and under load a turn
 * is tens of milliseconds (docs/performance.md, "Cold keys"). A statement run on the calling
 * thread answers in the same turn. It never waits for a lock: busy timeout 0, and busy (or any
 * other failure) sends that one read down the asynchronous path instead.
 *
 * Two copies of SQLite in one process: node:sqlite is linked into Node, node-sqlite3 (knex's
 * driver) carries its own. SQLite's file locks are POSIX locks, which never conflict within one
 * process, and each copy tracks only its own connections' locks, so neither sees the other's
 * (sqlite.org/howtocorrupt.html, "multiple copies of SQLite linked into the same application").
 * A writer of node-sqlite3 could checkpoint over pages this reader's snapshot still needs, and
 * closing a file descriptor drops every lock the process holds on that file. Hence:
 *  - this reads only while knex's connection is open and idle (no statement of node-sqlite3 is
 *    running in this process, so no commit or checkpoint can run beside the read), and the caller
 *    reads only while its asynchronous reads are idle (no other reader shares a read-mark with it);
 *  - nor while knex's pool is closing or opening its connection;
 *  - the connection stays open after a failed read and closes only after knex's pool has closed its own.
 * The first read opens the connection; SQLite cannot see the other copy's lock on the -shm file, so
 * it rebuilds the WAL index once, on this thread, while node-sqlite3 is idle (same content; it
 * reads the header again at its next transaction).
 * Other processes (workers, the CLI) see this process's locks as usual.
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

/**
 * One read-only connection of its own to the database file (beside knex's, as SqliteSideRead: in
 * WAL mode a reader never waits for the writer), its statement prepared once. Opened on the first
 * read; closed once knex's pool has closed its connection (at db.destroy()), opened again by a later read.
 */
class SqliteSyncRead {
  private connection: SyncConnection | undefined;
  private statement: SyncStatement | undefined;
  private readonly hookedPools = new WeakSet<object>();

  constructor(
    private readonly driver: SqliteSyncDriver,
    private readonly client: PooledClient,
    private readonly filename: string,
    private readonly read: OneParameterRead,
  ) {}

  rows(parameter: string): Row[] | undefined {
    this.closeWithPool();
    const pool = this.client.pool;
    // Idle, and not closing or opening: while tarn destroys knex's connection it still counts as
    // free, and its close (a checkpoint, then the WAL removed) runs on a pool thread.
    if (pool === undefined || pool.destroyed || pool.pendingDestroys.length > 0 || pool.numPendingCreates() > 0) return undefined;
    if (pool.numFree() === 0 || pool.numUsed() > 0) return undefined;
    try {
      this.connection ??= this.driver.open(this.filename);
      this.statement ??= this.connection.prepare(this.read.sql);
      // all(), not get(): it steps to SQLITE_DONE, so no read transaction stays open between lookups.
      return this.statement.all(...this.read.bind(parameter)) as Row[];
    } catch {
      // SQLITE_BUSY (another process's checkpoint, recovery or exclusive lock), a table not
      // migrated yet, or anything else: this read goes the asynchronous way, which waits for a lock
      // and reports a real failure as it always has. The connection stays open (see above); a failed
      // prepare is tried again by the next read.
      return undefined;
    }
  }

  private close(): void {
    const connection = this.connection;
    this.connection = undefined;
    this.statement = undefined;
    try {
      // close() finalizes the statement prepared on it; nothing runs on it meanwhile (synchronous).
      connection?.close();
    } catch {
      // Already closed: nothing left open.
    }
  }

  private closeWithPool(): void {
    const pool = this.client.pool;
    if (pool === undefined || this.hookedPools.has(pool)) return;
    this.hookedPools.add(pool);
    // After knex's connection has closed, not when its close is asked for: closing a descriptor
    // drops every lock this process holds on the file, node-sqlite3's included.
    pool.on('destroySuccess', () => this.close());
    pool.on('destroyFail', () => this.close());
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
