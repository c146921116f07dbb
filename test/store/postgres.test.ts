import { describe, expect, it } from 'vitest';
import { describeDatabase, openDatabase } from '../../src/store/factory.js';
import { KnexCredentialStore } from '../../src/store/knex-credential-store.js';
import { migrateToLatest, migrationConfig, rollbackAll } from '../../src/store/migrations.js';
import { isDatabaseUnavailable } from '../../src/store/outage.js';
import { openPostgres } from '../../src/store/postgres.js';
import { createPgSchema, servicesAvailable } from '../helpers/services.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { PG_URL } from '../helpers/test-env.js';

describe('choosing the database', () => {
  it('opens SQLite without SIGNET_DATABASE_URL and PostgreSQL with it', async () => {
    const base = { db: ':memory:', databasePoolMax: 2, databaseConnectTimeoutMs: 1000, databaseQueryTimeoutMs: 1000 };
    const sqlite = openDatabase({ ...base, databaseUrl: undefined });
    const pg = openDatabase({ ...base, databaseUrl: 'postgres://u:p@127.0.0.1:1/x' });
    try {
      expect(sqlite.client.config.client).toBe('sqlite3');
      expect(pg.client.config.client).toBe('pg');
    } finally {
      await sqlite.destroy();
      await pg.destroy();
    }
  });

  it('refuses any other URL scheme', () => {
    const base = { db: ':memory:', databasePoolMax: 2, databaseConnectTimeoutMs: 1000, databaseQueryTimeoutMs: 1000 };
    expect(() => openDatabase({ ...base, databaseUrl: 'mysql://u@h/db' })).toThrow(/unsupported database URL scheme "mysql"/);
  });

  it('names the database in messages without its password', () => {
    expect(describeDatabase({ db: './data/x.sqlite', databaseUrl: undefined })).toBe('./data/x.sqlite');
    expect(describeDatabase({ db: 'ignored', databaseUrl: 'postgres://signet:s3cret@db.internal:5432/signet' })).toBe('postgres://signet:***@db.internal:5432/signet');
  });
});

if (servicesAvailable('the PostgreSQL migration and outage tests', { pg: true })) {
  describe('PostgreSQL', () => {
    it('runs every migration unchanged, rolls them all back, and runs them again', async () => {
      const pg = await createPgSchema('migrations');
      try {
        const tables = async () => (await pg.db('information_schema.tables').where({ table_schema: pg.schema }).pluck('table_name')).filter((t: string) => !t.startsWith('signet_migrations')).sort();
        const all = ['audit_log', 'consumers', 'enrollment_codes', 'hmac_secrets', 'keys', 'replay_high_water', 'usage_rollups'];
        expect(await tables()).toEqual(all);
        await rollbackAll(pg.db);
        expect(await tables()).toEqual([]);
        await migrateToLatest(pg.db);
        const [, pending] = (await pg.db.migrate.list(migrationConfig)) as [unknown[], unknown[]];
        expect(pending).toEqual([]);
        expect(await tables()).toEqual(all);
      } finally {
        await pg.drop();
      }
    });

    it('returns bigint columns and counts as numbers', async () => {
      const pg = await createPgSchema('numbers');
      try {
        const store = new KnexCredentialStore(pg.db);
        const at = Date.UTC(2030, 0, 1);
        await store.createConsumer({ id: 'con_n', name: 'n' }, at);
        const [row] = await pg.db('consumers').select('created_at');
        expect(row.created_at).toBe(at);
        const [count] = await pg.db('consumers').count({ n: '*' });
        expect(count).toEqual({ n: 1 });
      } finally {
        await pg.drop();
      }
    });

    it('finds a key through a statement prepared once per connection, with the same answer as knex', async () => {
      const pg = await createPgSchema('prepared');
      // One connection, so the session that prepared the statement is the one asked about it.
      const db = openPostgres({ url: pg.url, poolMax: 1, connectTimeoutMs: 5000, queryTimeoutMs: 30_000 });
      try {
        const store = new KnexCredentialStore(db);
        const at = Date.UTC(2030, 0, 1);
        const created = await store.createConsumerWithKey({ id: 'con_p', name: 'p' }, { id: 'key_p', consumerId: '', type: 'ed25519', publicKey: new Uint8Array(32).fill(7), thumbprint: 'tp' }, at);
        expect(await store.findKey('key_p')).toEqual(created);
        expect(await store.findKey('key_p')).toEqual(created);
        expect(await store.findKey('key_none')).toBeUndefined();
        const prepared = (await db.raw('select name from pg_prepared_statements')).rows.map((r: { name: string }) => r.name);
        expect(prepared).toEqual(['signet_find_keys']);
        expect(await db.transaction((trx) => new KnexCredentialStore(trx).findKey('key_p'))).toEqual(created);
      } finally {
        await db.destroy();
        await pg.drop();
      }
    });

    it('fails fast with an outage error (never hangs) when the server refuses or stops answering, and recovers when it is back', async () => {
      const target = new URL(PG_URL!);
      const proxy = await TcpProxy.start(Number(target.port || 5432), target.hostname);
      target.host = `127.0.0.1:${proxy.port}`;
      const db = openPostgres({ url: target.toString(), poolMax: 2, connectTimeoutMs: 300, queryTimeoutMs: 300 });
      try {
        await db.raw('select 1');
        for (const mode of ['refuse', 'blackhole'] as const) {
          proxy.set(mode);
          const error = await db.raw('select 1').catch((e: unknown) => e);
          expect(isDatabaseUnavailable(error), `${mode}: ${String(error)}`).toBe(true);
          proxy.set('forward');
          // The pool drops the broken connection and opens a new one.
          let recovered = false;
          for (let i = 0; i < 20 && !recovered; i++)
            recovered = await db.raw('select 1').then(
              () => true,
              () => false,
            );
          expect(recovered, `${mode}: no recovery`).toBe(true);
        }
      } finally {
        await db.destroy();
        await proxy.close();
      }
    });
  });
}
