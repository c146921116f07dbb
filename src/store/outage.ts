/**
 * Recognises a failure to reach the database (as opposed to a bug or a bad statement), so the
 * server can answer 503 service_unavailable instead of 500. Covers the pg driver, knex's pool and
 * SQLite's lock timeout.
 */

/** Socket-level failures: the server is down, unreachable or went away. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);

/**
 * PostgreSQL SQLSTATEs that mean "not now" rather than "wrong": shutting down, starting up, too
 * many connections, statement cancelled (timeout), serialisation under load.
 */
const PG_STATES = new Set(['57P01', '57P02', '57P03', '53300', '57014', '40001', '40P01']);

/** The pg driver's own messages for a dead or slow connection. */
const PG_MESSAGES = /Connection terminated|connection timeout|Query read timeout|timeout exceeded when trying to connect|not queryable|Connection ended unexpectedly/i;

/** SQLite: another process held the write lock past busy_timeout. */
const SQLITE_CODES = new Set(['SQLITE_BUSY', 'SQLITE_LOCKED']);

export function isDatabaseUnavailable(error: unknown): boolean {
  for (let e = error, depth = 0; e !== null && e !== undefined && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const candidate = e as { name?: unknown; code?: unknown; message?: unknown };
    if (candidate.name === 'KnexTimeoutError') return true;
    const code = typeof candidate.code === 'string' ? candidate.code : '';
    if (NETWORK_CODES.has(code) || PG_STATES.has(code) || SQLITE_CODES.has(code) || code.startsWith('08')) return true;
    if (typeof candidate.message === 'string' && PG_MESSAGES.test(candidate.message)) return true;
  }
  return false;
}
