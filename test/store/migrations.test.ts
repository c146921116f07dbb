import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Knex } from 'knex';
import { openSqlite } from '../../src/store/factory.js';
import { migrateToLatest, migrationConfig, rollbackAll } from '../../src/store/migrations.js';

async function tables(db: Knex): Promise<string[]> {
  const rows = (await db('sqlite_master').where({ type: 'table' }).whereNot('name', 'like', 'sqlite_%').select('name')) as Array<{ name: string }>;
  return rows.map((r) => r.name).sort();
}

const bookkeeping = ['signet_migrations', 'signet_migrations_lock'];

describe('migrations on SQLite', () => {
  let db: Knex | undefined;
  afterEach(async () => {
    await db?.destroy();
    db = undefined;
  });

  it('create the consumers and keys tables and leave nothing pending', async () => {
    db = openSqlite(':memory:');
    await migrateToLatest(db);
    const created = await tables(db);
    expect(created).toEqual(expect.arrayContaining(['consumers', 'keys', ...bookkeeping]));
    const [, pending] = (await db.migrate.list(migrationConfig)) as [unknown[], unknown[]];
    expect(pending).toEqual([]);
    const keyColumns = Object.keys(await db('keys').columnInfo());
    expect(keyColumns).toEqual(expect.arrayContaining(['id', 'consumer_id', 'type', 'public_key', 'label', 'scopes', 'not_before', 'expires_at', 'revoked_at', 'last_used_at', 'created_at']));
    const consumerColumns = Object.keys(await db('consumers').columnInfo());
    expect(consumerColumns).toEqual(expect.arrayContaining(['id', 'name', 'status', 'created_at', 'updated_at']));
  });

  it('are idempotent: running them again changes nothing', async () => {
    db = openSqlite(':memory:');
    await migrateToLatest(db);
    const once = await tables(db);
    await migrateToLatest(db);
    expect(await tables(db)).toEqual(once);
  });

  it('roll back to an empty schema and migrate up again', async () => {
    db = openSqlite(':memory:');
    await migrateToLatest(db);
    await db('consumers').insert({ id: 'con_1', name: 'x', status: 'active', created_at: 1, updated_at: 1 });
    await rollbackAll(db);
    expect(await tables(db)).toEqual(bookkeeping);
    const [done] = (await db.migrate.list(migrationConfig)) as [unknown[], unknown[]];
    expect(done).toEqual([]);
    await migrateToLatest(db);
    expect(await tables(db)).toEqual(expect.arrayContaining(['consumers', 'keys']));
    expect(await db('consumers').count({ n: '*' })).toEqual([{ n: 0 }]);
  });

  it('add enrollment_codes.cancelled_at in 005, and drop it on the way down without losing a code', async () => {
    db = openSqlite(':memory:');
    await migrateToLatest(db);
    expect(Object.keys(await db('enrollment_codes').columnInfo())).toContain('cancelled_at');
    await db('consumers').insert({ id: 'con_1', name: 'x', status: 'active', created_at: 1, updated_at: 1 });
    await db('enrollment_codes').insert({ id: 'enc_1', consumer_id: 'con_1', code_hash: 'h', scopes: '[]', created_by: 'a', created_at: 1, expires_at: 2, cancelled_at: 3 });
    while (((await db.migrate.list(migrationConfig)) as [Array<{ name: string }>, unknown[]])[0].some((m) => m.name === '005_enrollment_code_cancellation')) {
      await db.migrate.down(migrationConfig);
    }
    expect(Object.keys(await db('enrollment_codes').columnInfo())).not.toContain('cancelled_at');
    expect(await db('enrollment_codes').pluck('id')).toEqual(['enc_1']);
    await migrateToLatest(db);
    expect(await db('enrollment_codes').first('cancelled_at')).toEqual({ cancelled_at: null });
  });

  it('enforce the key-to-consumer foreign key', async () => {
    db = openSqlite(':memory:');
    await migrateToLatest(db);
    await expect(db('keys').insert({ id: 'key_1', consumer_id: 'con_missing', type: 'ed25519', public_key: null, thumbprint: null, label: '', scopes: '[]', created_at: 1 })).rejects.toThrow(
      /FOREIGN KEY/,
    );
  });

  it('open a database file in WAL mode, creating its directory', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'signet-db-')), 'nested', 'dir', 'signet.sqlite');
    db = openSqlite(path);
    await migrateToLatest(db);
    const [mode] = (await db.raw('PRAGMA journal_mode')) as Array<{ journal_mode: string }>;
    expect(mode?.journal_mode).toBe('wal');
  });
});
