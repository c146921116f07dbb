import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { newConsumerId, newKeyId } from '../../src/protocol/ids.js';
import { KeyCache } from '../../src/server/key-cache.js';
import { openSqlite } from '../../src/store/factory.js';
import { KnexCredentialStore } from '../../src/store/knex-credential-store.js';
import { migrateToLatest } from '../../src/store/migrations.js';
import { detectSqliteSyncDriver, syncSqliteRead, type SqliteSyncDriver } from '../../src/store/sqlite-sync-read.js';
import { nodeSuiteRuns } from '../helpers/optional-suites.js';
import { credentialStoreContract } from './credential-store.contract.js';

const driver = detectSqliteSyncDriver();
const publicKey = new Uint8Array(32).fill(7);

/** node:sqlite is there without a flag from Node 22.13 (23.4 on the odd line). */
function nodeShipsSqlite(): boolean {
  const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
  return major > 23 || (major === 23 && minor >= 4) || (major === 22 && minor >= 13);
}

/** Whether `pending` settles before a callback queued for the next turn of the event loop runs. */
async function settlesWithinTheTurn(pending: Promise<unknown>): Promise<boolean> {
  let settled = false;
  void pending.then(
    () => (settled = true),
    () => (settled = true),
  );
  await new Promise((resolve) => setImmediate(resolve));
  return settled;
}

async function seededFile(dir: string, name: string): Promise<string> {
  const file = join(dir, name);
  const db = openSqlite(file);
  await migrateToLatest(db);
  const store = new KnexCredentialStore(db);
  await store.createConsumerWithKey({ id: 'con_a', name: 'a' }, { id: 'key_a', consumerId: 'con_a', type: 'ed25519', publicKey, thumbprint: 'ta', scopes: ['read'] }, 1);
  await store.insertKey({ id: 'key_b', consumerId: 'con_a', type: 'ed25519', publicKey, thumbprint: 'tb' }, 2);
  await db.destroy();
  return file;
}

describe('detectSqliteSyncDriver', () => {
  it('finds node:sqlite exactly on the Node versions that ship it without a flag', () => {
    expect(driver !== undefined).toBe(nodeShipsSqlite() || process.execArgv.includes('--experimental-sqlite'));
  });
});

if (nodeSuiteRuns('the synchronous SQLite key read', driver === undefined ? 'node:sqlite needs Node 22.13 or later (the key lookup reads asynchronously here)' : undefined)) {
  const syncDriver = driver!;
  const contractDir = mkdtempSync(join(tmpdir(), 'signet-sync-contract-'));
  credentialStoreContract('SQLite file, key lookups read synchronously (node:sqlite)', async () => {
    const db = openSqlite(join(contractDir, 'contract.sqlite'));
    await migrateToLatest(db);
    return {
      store: new KnexCredentialStore(db, { syncDriver }),
      close: async () => {
        await db.destroy();
        rmSync(contractDir, { recursive: true, force: true });
      },
    };
  });

  describe('findKey read synchronously on a SQLite file', () => {
    let dir: string;
    let db: Knex;
    let file: string;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'signet-sync-read-'));
      file = await seededFile(dir, 'shared.sqlite');
      db = openSqlite(file);
      // As in a server, which has migrated through it: knex's connection is open.
      await db.raw('select 1');
    });

    afterAll(async () => {
      await db.destroy();
      rmSync(dir, { recursive: true, force: true });
    });

    it('returns the records the asynchronous read returns: keys found and not found, every optional column set, among rowids with gaps', async () => {
      const sync = new KnexCredentialStore(db, { syncDriver });
      const asynchronous = new KnexCredentialStore(db);
      for (const id of ['key_a', 'key_b', 'key_missing', 'key_a']) expect(await sync.findKey(id)).toEqual(await asynchronous.findKey(id));
      expect((await sync.findKey('key_a'))?.key.publicKey).toEqual(publicKey);
      // The synchronous read finds the row through the id index, then by rowid: a deleted row leaves a gap.
      const consumerId = newConsumerId();
      const [gone, full] = [newKeyId(), newKeyId()];
      await asynchronous.createConsumerWithKey(
        { id: consumerId, name: 'full', plan: 'internal', metadata: { team: 'x' }, allowedModes: ['ed25519', 'hmac'] },
        { id: gone, consumerId, type: 'ed25519', publicKey, thumbprint: `t-${gone}` },
        1,
      );
      await asynchronous.insertKey({ id: full, consumerId, type: 'ed25519', publicKey, thumbprint: `t-${full}`, label: 'ci', scopes: ['read', 'write'], notBefore: 2, expiresAt: 9_000 }, 3);
      await asynchronous.revokeKey(full, 5);
      await db('keys').where({ id: gone }).delete();
      const read = sync.findKey(full);
      expect(await settlesWithinTheTurn(read)).toBe(true);
      expect(await read).toEqual(await asynchronous.findKey(full));
      expect((await read)?.key).toMatchObject({ label: 'ci', scopes: ['read', 'write'], notBefore: 2, expiresAt: 9_000, revokedAt: 5 });
      expect((await read)?.consumer).toMatchObject({ plan: 'internal', metadata: { team: 'x' }, allowedModes: ['ed25519', 'hmac'] });
      expect(await sync.findKey(gone)).toBeUndefined();
    });

    it('answers within the same turn of the event loop, where the asynchronous read does not', async () => {
      const sync = new KnexCredentialStore(db, { syncDriver });
      await sync.findKey('key_a');
      expect(await settlesWithinTheTurn(sync.findKey('key_b'))).toBe(true);
      expect(await settlesWithinTheTurn(sync.findKey('key_missing'))).toBe(true);
    });

    it('fills the key cache within the same turn: a cold key costs no wait for an I/O callback', async () => {
      const store = new KnexCredentialStore(db, { syncDriver });
      const consumerId = newConsumerId();
      const kid = newKeyId();
      await store.createConsumerWithKey({ id: consumerId, name: 'c' }, { id: kid, consumerId, type: 'ed25519', publicKey, thumbprint: `t-${kid}` }, 1);
      const keys = new KeyCache({ store, clock: new ManualClock(10), size: 10, ttlMs: 30_000, negativeTtlMs: 5_000 });
      await keys.resolve(newKeyId());
      expect(keys.cached(kid)).toBeUndefined();
      expect(await settlesWithinTheTurn(keys.resolve(kid))).toBe(true);
      expect(keys.cached(kid)?.consumer.id).toBe(consumerId);
    });

    it('reads a revocation and a disabled consumer as soon as they are committed', async () => {
      const writer = new KnexCredentialStore(db);
      const sync = new KnexCredentialStore(db, { syncDriver });
      await writer.createConsumerWithKey({ id: 'con_r', name: 'r' }, { id: 'key_r', consumerId: 'con_r', type: 'ed25519', publicKey, thumbprint: 'tr' }, 1);
      expect((await sync.findKey('key_r'))?.key.revokedAt).toBeNull();
      await writer.revokeKey('key_r', 5);
      expect((await sync.findKey('key_r'))?.key.revokedAt).toBe(5);
      await writer.setConsumerStatus('con_r', 'disabled', 6);
      expect((await sync.findKey('key_r'))?.consumer.status).toBe('disabled');
    });

    it('stands aside for an in-memory database and inside a transaction, where the asynchronous read stays', async () => {
      const memory = openSqlite(':memory:');
      try {
        expect(syncSqliteRead(syncDriver, memory, (id) => memory('keys').where({ id }))).toBeUndefined();
      } finally {
        await memory.destroy();
      }
      await db.transaction(async (trx) => {
        expect(syncSqliteRead(syncDriver, trx, (id) => trx('keys').where({ id }))).toBeUndefined();
      });
      expect(syncSqliteRead(syncDriver, db, (id) => db('keys').where({ id }))).toBeDefined();
    });

    it('falls back to the asynchronous read when SQLite answers busy, then reads synchronously again on the same connection', async () => {
      let opens = 0;
      let busyReads = 1;
      const busyOnce: SqliteSyncDriver = {
        open: (filename) => {
          opens++;
          const connection = syncDriver.open(filename);
          return {
            prepare: (sql) => {
              const statement = connection.prepare(sql);
              return {
                all: (...parameters) => {
                  if (busyReads-- > 0) throw Object.assign(new Error('database is locked'), { code: 'ERR_SQLITE_ERROR', errcode: 5 });
                  return statement.all(...parameters);
                },
              };
            },
            close: () => connection.close(),
          };
        },
      };
      const store = new KnexCredentialStore(db, { syncDriver: busyOnce });
      const busy = store.findKey('key_a');
      expect(await settlesWithinTheTurn(busy)).toBe(false);
      expect((await busy)?.key.scopes).toEqual(['read']);
      const again = store.findKey('key_a');
      expect(await settlesWithinTheTurn(again)).toBe(true);
      expect(await again).toEqual(await busy);
      expect(opens).toBe(1);
    });

    it('reads asynchronously, and what is committed, while knex’s connection is running a statement of this process', async () => {
      const sync = new KnexCredentialStore(db, { syncDriver });
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let inside!: () => void;
      const started = new Promise<void>((resolve) => (inside = resolve));
      const transaction = db.transaction(async (trx) => {
        await trx('keys').update({ label: 'uncommitted' }).where({ id: 'key_b' });
        inside();
        await held;
      });
      await started;
      try {
        const during = sync.findKey('key_b');
        expect(await settlesWithinTheTurn(during)).toBe(false);
        expect((await during)?.key.label).not.toBe('uncommitted');
      } finally {
        release();
        await transaction;
      }
      const after = sync.findKey('key_b');
      expect(await settlesWithinTheTurn(after)).toBe(true);
      expect((await after)?.key.label).toBe('uncommitted');
    });
  });

  describe('the synchronous connection’s life', () => {
    it('neither opens nor reads while knex’s pool is closing, and closes only after knex’s connection has closed', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'signet-sync-closing-'));
      try {
        const file = await seededFile(dir, 'closing.sqlite');
        const db = openSqlite(file);
        const events: string[] = [];
        const tracking: SqliteSyncDriver = {
          open: (filename) => {
            events.push('sync open');
            const connection = syncDriver.open(filename);
            return {
              prepare: (sql) => connection.prepare(sql),
              close: () => {
                events.push('sync close');
                connection.close();
              },
            };
          },
        };
        const pool = (db.client as { pool: { on(event: string, listener: () => void): void } }).pool;
        const store = new KnexCredentialStore(db, { syncDriver: tracking });
        let during: Promise<unknown> | undefined;
        pool.on('destroyRequest', () => {
          during = store.findKey('key_a').catch(() => undefined);
          events.push('knex closing');
        });
        pool.on('destroySuccess', () => events.push('knex closed'));
        await db.raw('select 1'); // knex opens its connection on first use
        expect(await settlesWithinTheTurn(store.findKey('key_a'))).toBe(true);
        await db.destroy();
        await during;
        expect(events).toEqual(['sync open', 'knex closing', 'knex closed', 'sync close']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('closes with knex’s pool: SQLite checkpoints and removes the WAL file at db.destroy()', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'signet-sync-close-'));
      try {
        const file = await seededFile(dir, 'close.sqlite');
        const db = openSqlite(file);
        const store = new KnexCredentialStore(db, { syncDriver });
        await store.recordLastUsed(new Map([['key_a', 9]]));
        expect((await store.findKey('key_a'))?.key.lastUsedAt).toBe(9);
        expect(existsSync(`${file}-wal`)).toBe(true);
        await db.destroy();
        // The key lookup's side connection closes as knex's pool does, on the thread pool: db.destroy()
        // does not wait for it, so the last close (the one that removes the WAL) may come a moment later.
        await vi.waitFor(() => expect(existsSync(`${file}-wal`)).toBe(false), { timeout: 5000, interval: 10 });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
