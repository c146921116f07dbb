import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newConsumerId, newKeyId } from '../../src/protocol/ids.js';
import { KnexCredentialStore } from '../../src/store/knex-credential-store.js';
import { KnexHmacSecretStore } from '../../src/store/knex-hmac-secret-store.js';
import type { SealedSecret } from '../../src/store/types.js';
import { servicesAvailable } from '../helpers/services.js';
import { openMigratedSqlite, openRolledBackPgSchema, type OpenedDb } from './lifecycle-stores.js';

const T0 = Date.UTC(2026, 0, 1);
const sealed = (version: number, fill: number): SealedSecret => ({ masterKeyVersion: version, recordVersion: 1, iv: new Uint8Array(12).fill(fill), ciphertext: new Uint8Array(73).fill(fill) });

function hmacSecretStoreSuite(engine: string, open: () => Promise<OpenedDb>): void {
  describe(`HmacSecretStore on ${engine}`, () => {
    let db: Knex;
    let close: () => Promise<void>;
    let store: KnexHmacSecretStore;
    let credentials: KnexCredentialStore;
    beforeAll(async () => {
      ({ db, close } = await open());
      store = new KnexHmacSecretStore(db);
      credentials = new KnexCredentialStore(db);
    });
    afterAll(async () => close());

    async function consumer(name = 'c') {
      return credentials.createConsumer({ id: newConsumerId(), name, allowedModes: ['ed25519', 'hmac'] }, T0);
    }
    const newHmacKey = (consumerId: string, n = 1) => ({ id: newKeyId(), consumerId, type: 'hmac' as const, publicKey: null, thumbprint: null, label: `k${n}` });

    it('creates the key, its sealed secret and a key.create audit entry together', async () => {
      const c = await consumer();
      const key = await store.createHmacKey(newHmacKey(c.id), sealed(1, 5), T0);
      expect(key).toMatchObject({ type: 'hmac', consumerId: c.id, publicKey: null });
      expect(await store.find(key.id)).toEqual({ keyId: key.id, consumerId: c.id, ...sealed(1, 5) });
      const audit = await db('audit_log').where({ target_id: key.id });
      expect(audit.map((row) => row.action)).toEqual(['key.create']);
      expect(String(audit[0].after)).not.toContain('ciphertext');
    });

    it('rolls the key back when its secret cannot be stored, and refuses non-HMAC keys', async () => {
      const c = await consumer();
      const first = newHmacKey(c.id);
      await store.createHmacKey(first, sealed(1, 1), T0);
      // A second secret row for the same key id violates the primary key: nothing of it may remain.
      await expect(store.createHmacKey({ ...first }, sealed(1, 2), T0)).rejects.toThrow();
      expect((await credentials.listKeys(c.id)).length).toBe(1);
      await expect(store.createHmacKey({ ...newHmacKey(c.id), type: 'ed25519' }, sealed(1, 1), T0)).rejects.toThrow(/HMAC keys only/);
    });

    it('reads the consumer id from the key row, so a key moved to another consumer names the new one', async () => {
      const a = await consumer('a');
      const b = await consumer('b');
      const key = await store.createHmacKey(newHmacKey(a.id), sealed(1, 3), T0);
      await db('keys').where({ id: key.id }).update({ consumer_id: b.id });
      expect((await store.find(key.id))?.consumerId).toBe(b.id);
    });

    const operator = { actor: 'local-operator' };
    const replacement = (keyId: string, expectedRecordVersion: number, fromMasterKeyVersion: number, next: SealedSecret) => ({ keyId, expectedRecordVersion, fromMasterKeyVersion, sealed: next });
    const reencryptEntries = async (keyId: string) => (await db('audit_log').where({ action: 'master_key.reencrypt' }).orderBy('id')).filter((row) => String(row.after).includes(keyId));

    it('re-encrypts a secret only while its record version is unchanged, with a master_key.reencrypt entry naming what changed', async () => {
      const c = await consumer();
      const a = await store.createHmacKey(newHmacKey(c.id, 1), sealed(1, 1), T0);
      const b = await store.createHmacKey(newHmacKey(c.id, 2), sealed(1, 2), T0);
      const next = { ...sealed(2, 9), recordVersion: 2 };
      // b's expected record version is stale: only a is replaced, and only a is in the entry.
      expect(await store.reencrypt([replacement(a.id, 1, 1, next), replacement(b.id, 5, 1, next)], T0 + 1, operator)).toEqual([a.id]);
      expect(await store.find(a.id)).toMatchObject({ masterKeyVersion: 2, recordVersion: 2, iv: next.iv });
      expect(await store.find(b.id)).toMatchObject({ masterKeyVersion: 1, recordVersion: 1 });
      const entries = await reencryptEntries(a.id);
      expect(entries).toHaveLength(1);
      expect(entries[0]).toMatchObject({ actor: 'local-operator', target_type: 'master_key', target_id: '2', consumer_id: null });
      expect(Number(entries[0].at)).toBe(T0 + 1);
      expect(JSON.parse(String(entries[0].before))).toEqual({ master_key_versions: { '1': 1 } });
      expect(JSON.parse(String(entries[0].after))).toEqual({ master_key_versions: { '2': 1 }, reencrypted: 1, key_ids: [a.id] });
      expect(await reencryptEntries(b.id)).toEqual([]);
      // The same stale write again changes nothing and writes nothing.
      const before = await db('audit_log').count({ n: '*' });
      expect(await store.reencrypt([replacement(a.id, 1, 1, { ...sealed(3, 7), recordVersion: 2 })], T0 + 2, operator)).toEqual([]);
      expect(await store.reencrypt([replacement(newKeyId(), 1, 1, next)], T0 + 2, operator)).toEqual([]);
      expect(await store.reencrypt([], T0 + 2, operator)).toEqual([]);
      expect(await db('audit_log').count({ n: '*' })).toEqual(before);
      expect(await store.find(a.id)).toMatchObject({ masterKeyVersion: 2, iv: next.iv });
    });

    it('rolls back every row of a batch and its entry together when the batch fails midway', async () => {
      const c = await consumer();
      const a = await store.createHmacKey(newHmacKey(c.id, 1), sealed(1, 1), T0);
      const b = await store.createHmacKey(newHmacKey(c.id, 2), sealed(1, 2), T0);
      const next = { ...sealed(2, 9), recordVersion: 2 };
      // The second row's sealed form cannot be written: the statement for a has already run by then.
      const broken = { ...next, ciphertext: undefined as unknown as Uint8Array };
      await expect(store.reencrypt([replacement(a.id, 1, 1, next), replacement(b.id, 1, 1, broken)], T0 + 1, operator)).rejects.toThrow();
      expect(await store.find(a.id)).toEqual({ keyId: a.id, consumerId: c.id, ...sealed(1, 1) });
      expect(await store.find(b.id)).toEqual({ keyId: b.id, consumerId: c.id, ...sealed(1, 2) });
      expect(await reencryptEntries(a.id)).toEqual([]);
    });

    it('writes master_key.add with version numbers only, and nothing when the key could not be persisted', async () => {
      let persisted = 0;
      await store.recordMasterKeyAdded({ version: 7, keyringVersions: [6, 7] }, () => void persisted++, T0 + 3, operator);
      expect(persisted).toBe(1);
      const added = await db('audit_log').where({ action: 'master_key.add', target_id: '7' });
      expect(added).toHaveLength(1);
      expect(added[0]).toMatchObject({ actor: 'local-operator', target_type: 'master_key', consumer_id: null, before: null });
      expect(JSON.parse(String(added[0].after))).toEqual({ master_key_version: 7, keyring_versions: [6, 7] });
      const failing = () => {
        throw new Error('disk full');
      };
      await expect(store.recordMasterKeyAdded({ version: 8, keyringVersions: [7, 8] }, failing, T0 + 4, operator)).rejects.toThrow('disk full');
      expect(await db('audit_log').where({ action: 'master_key.add', target_id: '8' })).toEqual([]);
    });

    it('lists secrets in key id order after a given id, and counts them per master key version', async () => {
      const c = await consumer();
      for (let i = 0; i < 5; i++) await store.createHmacKey(newHmacKey(c.id, i), sealed(40, i), T0);
      const all: string[] = [];
      let after: string | null = null;
      for (;;) {
        const page = await store.list(after, 2);
        if (page.length === 0) break;
        all.push(...page.map((row) => row.keyId));
        after = page[page.length - 1]!.keyId;
      }
      expect(all).toEqual([...all].sort());
      expect(new Set(all).size).toBe(all.length);
      expect((await store.countByMasterKeyVersion()).get(40)).toBe(5);
    });

    it('pages keys of one type across consumers in creation order, with or without revoked ones', async () => {
      const base = T0 + 10_000_000;
      const c = await consumer('report');
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) ids.push((await store.createHmacKey(newHmacKey(c.id, i), sealed(1, i), base + i)).id);
      await credentials.revokeKey(ids[1]!, base + 10);
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.listKeysOfType({ type: 'hmac', limit: 1, ...(cursor !== undefined ? { cursor } : {}) });
        seen.push(...page.items.map((item) => item.key.id));
        cursor = page.nextCursor ?? undefined;
      } while (cursor !== undefined);
      expect(seen.filter((id) => ids.includes(id))).toEqual(ids);
      const unrevoked = await store.listKeysOfType({ type: 'hmac', unrevoked: true, limit: 200 });
      expect(unrevoked.items.map((item) => item.key.id)).not.toContain(ids[1]);
      expect(unrevoked.items.find((item) => item.key.id === ids[0])?.consumer.name).toBe('report');
      await expect(store.listKeysOfType({ type: 'hmac', limit: 1, cursor: 'garbage' })).rejects.toMatchObject({ code: 'invalid_request' });
    });

    it('deletes the secrets of a deleted consumer', async () => {
      const c = await consumer();
      const key = await store.createHmacKey(newHmacKey(c.id), sealed(1, 1), T0);
      expect(await credentials.deleteConsumer(c.id, T0)).toBe(true);
      expect(await store.find(key.id)).toBeUndefined();
      expect(await db('hmac_secrets').where({ key_id: key.id }).first()).toBeUndefined();
    });
  });
}

hmacSecretStoreSuite('SQLite', openMigratedSqlite);

if (servicesAvailable('the PostgreSQL HMAC secret store suite', { pg: true })) {
  hmacSecretStoreSuite('PostgreSQL', () => openRolledBackPgSchema('hmac'));
}
