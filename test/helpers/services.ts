import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { Redis } from 'ioredis';
import { migrateToLatest } from '../../src/store/migrations.js';
import { openPostgres } from '../../src/store/postgres.js';
import { suiteRuns } from './optional-suites.js';
import { PG_URL, REDIS_PREFIX, REDIS_URL } from './test-env.js';

/**
 * Real PostgreSQL and Redis for the scale-out suites. Each suite works in a schema and a key
 * prefix of its own, so suites sharing one database and one Redis never see each other, and
 * removes them when done.
 */

/** Whether a suite that needs real services runs (see suiteRuns: it skips with a printed line, or fails under SIGNET_TEST_REQUIRE_ALL=1). */
export function servicesAvailable(suite: string, needs: { pg?: boolean; redis?: boolean }): boolean {
  const missing = [needs.pg === true && PG_URL === undefined ? 'SIGNET_TEST_PG_URL' : undefined, needs.redis === true && REDIS_URL === undefined ? 'SIGNET_TEST_REDIS_URL' : undefined].filter(
    (name): name is string => name !== undefined,
  );
  return suiteRuns(suite, missing.length === 0 ? undefined : `${missing.join(' and ')} not set (.ci/run sets them)`);
}

export interface PgSchema {
  /** A connection URL whose search_path is the schema: what a server process is given. */
  url: string;
  schema: string;
  /** A knex pool on the schema, migrated. */
  db: Knex;
  drop(): Promise<void>;
}

/** A fresh schema on the test database, migrated. */
export async function createPgSchema(label: string): Promise<PgSchema> {
  if (PG_URL === undefined) throw new Error('SIGNET_TEST_PG_URL is not set');
  const schema = `signet_${label}_${randomBytes(5).toString('hex')}`;
  const admin = openPostgres({ url: PG_URL, poolMax: 1, connectTimeoutMs: 5000, queryTimeoutMs: 30_000 });
  await admin.raw('create schema ??', [schema]);
  await admin.destroy();
  const url = withSearchPath(PG_URL, schema);
  const db = openPostgres({ url, poolMax: 4, connectTimeoutMs: 5000, queryTimeoutMs: 30_000 });
  await migrateToLatest(db);
  return {
    url,
    schema,
    db,
    async drop() {
      await db.destroy();
      const cleanup = openPostgres({ url: PG_URL!, poolMax: 1, connectTimeoutMs: 5000, queryTimeoutMs: 30_000 });
      await cleanup.raw('drop schema if exists ?? cascade', [schema]);
      await cleanup.destroy();
    },
  };
}

/** The libpq `options` parameter sets the search_path of every connection opened with this URL. */
export function withSearchPath(url: string, schema: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('options', `-c search_path=${schema}`);
  return parsed.toString();
}

/** A key prefix no other suite or run uses. */
export function redisTestPrefix(label: string): string {
  return `${REDIS_PREFIX}${label}:${randomBytes(4).toString('hex')}:`;
}

/** Deletes every key under `prefix` (SCAN, never FLUSHALL). */
export async function dropRedisPrefix(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: true });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/**
 * Marks the replay cache under `prefix` as one that has been in service since long ago, as a
 * production Redis would be: without it the first `SIGNET_CLOCK_SKEW` seconds refuse tokens
 * (the store cannot tell a new Redis from one that lost its data; docs/deployment.md).
 */
export async function seedReplayEpoch(url: string, prefix: string, epochMs = 0): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: true });
  try {
    await redis.connect();
    await redis.set(`${prefix}replay-epoch`, String(epochMs));
  } finally {
    redis.disconnect();
  }
}
