import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { openSqlite } from '../../src/store/factory.js';
import { KnexCredentialStore } from '../../src/store/knex-credential-store.js';
import { migrateToLatest } from '../../src/store/migrations.js';
import { createPgSchema, servicesAvailable } from '../helpers/services.js';
import { credentialStoreContract } from './credential-store.contract.js';

credentialStoreContract('SQLite', async () => {
  const db = openSqlite(':memory:');
  await migrateToLatest(db);
  return { store: new KnexCredentialStore(db), close: () => db.destroy() };
});

if (servicesAvailable('the PostgreSQL credential store contract', { pg: true })) {
  credentialStoreContract('PostgreSQL', async () => {
    // A schema of its own (through the production pool settings), so this suite neither sees nor disturbs others.
    const pg = await createPgSchema('contract');
    return { store: new KnexCredentialStore(pg.db), close: () => pg.drop() };
  });
}

const publicKey = new Uint8Array(32);

describe('findKey on SQLite (a statement prepared per connection)', () => {
  it('closes the database file cleanly after lookups: SQLite checkpoints and removes the WAL file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'signet-findkey-'));
    try {
      const file = join(dir, 'signet.sqlite');
      const db = openSqlite(file);
      await migrateToLatest(db);
      const store = new KnexCredentialStore(db);
      await store.createConsumerWithKey({ id: 'con_a', name: 'a' }, { id: 'key_a', consumerId: 'con_a', type: 'ed25519', publicKey, thumbprint: 't' }, 1);
      expect((await store.findKey('key_a'))?.consumer.id).toBe('con_a');
      expect(await store.findKey('key_b')).toBeUndefined();
      expect(existsSync(`${file}-wal`)).toBe(true);
      await db.destroy();
      // A statement left prepared makes sqlite3_close fail, which leaves the file (and its WAL) open.
      // The key lookup's side connection closes once knex's has (the last to close removes the WAL);
      // db.destroy() does not wait for it, so that may come a moment later.
      await vi.waitFor(() => expect(existsSync(`${file}-wal`)).toBe(false), { timeout: 5000, interval: 10 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads through the transaction when the store is built on one (never waits for the pool it holds)', async () => {
    const db = openSqlite(':memory:');
    try {
      await migrateToLatest(db);
      const rollBack = new Error('roll back');
      const inside = db.transaction(async (trx) => {
        const store = new KnexCredentialStore(trx);
        await store.createConsumerWithKey({ id: 'con_t', name: 't' }, { id: 'key_t', consumerId: 'con_t', type: 'ed25519', publicKey, thumbprint: 't' }, 1);
        expect((await store.findKey('key_t'))?.key.consumerId).toBe('con_t');
        throw rollBack;
      });
      await expect(inside).rejects.toBe(rollBack);
      expect(await new KnexCredentialStore(db).findKey('key_t')).toBeUndefined();
    } finally {
      await db.destroy();
    }
  });

  it('fails with the driver error when the statement cannot be prepared, and prepares again once it can', async () => {
    const db = openSqlite(':memory:');
    try {
      const store = new KnexCredentialStore(db);
      await expect(store.findKey('key_a')).rejects.toMatchObject({ code: 'SQLITE_ERROR', message: expect.stringMatching(/no such table/) });
      await migrateToLatest(db);
      expect(await store.findKey('key_a')).toBeUndefined();
    } finally {
      await db.destroy();
    }
  });
});
