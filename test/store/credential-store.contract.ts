import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newConsumerId, newKeyId } from '../../src/protocol/ids.js';
import type { CredentialStore, NewKey } from '../../src/store/types.js';
import { LAST_USED_PER_STATEMENT } from '../../src/store/knex-credential-store.js';

export interface OpenedStore {
  store: CredentialStore;
  close(): Promise<void>;
}

/** Times above 2^31 ms, so a driver that returns bigint columns as strings or truncates them shows. */
const T0 = Date.UTC(2026, 0, 1);

function key32(seed: number): Uint8Array {
  return Uint8Array.from({ length: 32 }, (_, i) => (seed * 31 + i * 7) & 0xff);
}

let seed = 1;
function newKey(consumerId: string, overrides: Partial<NewKey> = {}): NewKey {
  const n = seed++;
  return { id: newKeyId(), consumerId, type: 'ed25519', publicKey: key32(n), thumbprint: `thumb-${n}-${newKeyId()}`, ...overrides };
}

/**
 * The behaviour every CredentialStore engine must share (SQLite now, PostgreSQL when configured).
 * Each test makes its own consumers, so the suite also runs on a database shared with others.
 */
export function credentialStoreContract(engine: string, open: () => Promise<OpenedStore>): void {
  describe(`CredentialStore contract on ${engine}`, () => {
    let opened: OpenedStore;
    let store: CredentialStore;
    beforeAll(async () => {
      opened = await open();
      store = opened.store;
    });
    afterAll(async () => opened?.close());

    async function consumerWithKey(overrides: Partial<NewKey> = {}) {
      const consumerId = newConsumerId();
      const key = newKey(consumerId, overrides);
      const created = await store.createConsumerWithKey({ id: consumerId, name: 'Ada' }, key, T0);
      return { consumerId, key, created };
    }

    it('creates a consumer with its first key and returns both as stored', async () => {
      const { consumerId, key, created } = await consumerWithKey({ label: 'laptop', scopes: ['read', 'write'] });
      expect(created.consumer).toMatchObject({ id: consumerId, name: 'Ada', status: 'active', createdAt: T0, updatedAt: T0 });
      expect(created.key).toMatchObject({
        id: key.id,
        consumerId,
        type: 'ed25519',
        thumbprint: key.thumbprint,
        label: 'laptop',
        scopes: ['read', 'write'],
        notBefore: null,
        expiresAt: null,
        revokedAt: null,
        lastUsedAt: null,
        createdAt: T0,
      });
      expect(created.key.publicKey).toEqual(key.publicKey);
    });

    it('finds a key with its consumer in one read, with numbers as numbers', async () => {
      const { consumerId, key } = await consumerWithKey({ notBefore: T0 - 1, expiresAt: T0 + 86_400_000 });
      const found = await store.findKey(key.id);
      expect(found?.consumer.id).toBe(consumerId);
      expect(found?.key).toMatchObject({ id: key.id, notBefore: T0 - 1, expiresAt: T0 + 86_400_000, createdAt: T0 });
      expect(typeof found?.key.createdAt).toBe('number');
      expect(typeof found?.consumer.createdAt).toBe('number');
      expect(found?.key.publicKey).toEqual(key.publicKey);
    });

    it('answers undefined for unknown ids, including hostile ones', async () => {
      for (const id of ['key_0000000000000000000000', "' OR 1=1 --", '', '%', '_']) {
        expect(await store.findKey(id)).toBeUndefined();
        expect(await store.getConsumer(id)).toBeUndefined();
      }
    });

    it('answers many concurrent lookups each with its own key, unknown and repeated ids among them', async () => {
      const made = await Promise.all(Array.from({ length: 12 }, () => consumerWithKey()));
      const ids = [...made.map((m) => m.key.id), 'key_0000000000000000000000', '"]', made[0]!.key.id, "' OR 1=1 --"];
      const found = await Promise.all(ids.map((id) => store.findKey(id)));
      expect(found.map((f) => f?.key.id)).toEqual([...made.map((m) => m.key.id), undefined, undefined, made[0]!.key.id, undefined]);
      expect(found.slice(0, 12).map((f) => f?.consumer.id)).toEqual(made.map((m) => m.consumerId));
    });

    it('refuses a second key with the same thumbprint and a second key with the same id', async () => {
      const { consumerId, key } = await consumerWithKey();
      await expect(store.insertKey(newKey(consumerId, { thumbprint: key.thumbprint }), T0)).rejects.toThrow();
      await expect(store.insertKey(newKey(consumerId, { id: key.id }), T0)).rejects.toThrow();
      expect(await store.listKeys(consumerId)).toHaveLength(1);
    });

    it('creates nothing when the first key cannot be stored (one transaction)', async () => {
      const { key } = await consumerWithKey();
      const consumerId = newConsumerId();
      await expect(store.createConsumerWithKey({ id: consumerId, name: 'B' }, newKey(consumerId, { thumbprint: key.thumbprint }), T0)).rejects.toThrow();
      expect(await store.getConsumer(consumerId)).toBeUndefined();
    });

    it('stores an HMAC key without public key material', async () => {
      const { consumerId } = await consumerWithKey();
      const hmac = await store.insertKey({ id: newKeyId(), consumerId, type: 'hmac', publicKey: null, thumbprint: null }, T0 + 1);
      expect(hmac).toMatchObject({ type: 'hmac', publicKey: null, thumbprint: null });
      expect((await store.findKey(hmac.id))?.key).toMatchObject({ type: 'hmac', publicKey: null });
    });

    it('lists the keys of one consumer only, oldest first', async () => {
      const { consumerId, key } = await consumerWithKey();
      const second = await store.insertKey(newKey(consumerId), T0 + 2);
      const third = await store.insertKey(newKey(consumerId), T0 + 1);
      await consumerWithKey();
      expect((await store.listKeys(consumerId)).map((k) => k.id)).toEqual([key.id, third.id, second.id]);
      expect(await store.listKeys(newConsumerId())).toEqual([]);
    });

    it('revokes a key once: the first revocation time stays', async () => {
      const { key } = await consumerWithKey();
      expect(await store.revokeKey(key.id, T0 + 10)).toBe(true);
      expect(await store.revokeKey(key.id, T0 + 20)).toBe(false);
      expect((await store.findKey(key.id))?.key.revokedAt).toBe(T0 + 10);
      expect(await store.revokeKey('key_0000000000000000000000', T0)).toBe(false);
    });

    it('disables and re-enables a consumer', async () => {
      const { consumerId, key } = await consumerWithKey();
      expect(await store.setConsumerStatus(consumerId, 'disabled', T0 + 5)).toBe(true);
      expect(await store.getConsumer(consumerId)).toMatchObject({ status: 'disabled', updatedAt: T0 + 5 });
      expect((await store.findKey(key.id))?.consumer.status).toBe('disabled');
      expect(await store.setConsumerStatus(consumerId, 'active', T0 + 6)).toBe(true);
      expect((await store.getConsumer(consumerId))?.status).toBe('active');
      expect(await store.setConsumerStatus(newConsumerId(), 'disabled', T0)).toBe(false);
    });

    it('records last-use times in one batch and never lowers one', async () => {
      const { consumerId, key } = await consumerWithKey();
      const other = await store.insertKey(newKey(consumerId), T0);
      await store.recordLastUsed(
        new Map([
          [key.id, T0 + 100],
          [other.id, T0 + 50],
          ['key_0000000000000000000000', T0],
        ]),
      );
      expect((await store.findKey(key.id))?.key.lastUsedAt).toBe(T0 + 100);
      expect((await store.findKey(other.id))?.key.lastUsedAt).toBe(T0 + 50);
      await store.recordLastUsed(
        new Map([
          [key.id, T0 + 40],
          [other.id, T0 + 500],
        ]),
      );
      expect((await store.findKey(key.id))?.key.lastUsedAt).toBe(T0 + 100);
      expect((await store.findKey(other.id))?.key.lastUsedAt).toBe(T0 + 500);
      await store.recordLastUsed(new Map());
      expect((await store.findKey(other.id))?.key.lastUsedAt).toBe(T0 + 500);
    });

    it('records the last-use times of a batch larger than one statement takes, the known keys wherever they fall', async () => {
      const { consumerId, key } = await consumerWithKey();
      const other = await store.insertKey(newKey(consumerId), T0);
      const batch = new Map<string, number>([[key.id, T0 + 7]]);
      for (let i = 0; i < LAST_USED_PER_STATEMENT * 2 + 100; i++) batch.set(`key_${String(i).padStart(22, '0')}`, T0 + i);
      batch.set(other.id, T0 + 9);
      await store.recordLastUsed(batch);
      expect((await store.findKey(key.id))?.key.lastUsedAt).toBe(T0 + 7);
      expect((await store.findKey(other.id))?.key.lastUsedAt).toBe(T0 + 9);
    });

    it('reads a key afresh after every change: revocation, rotation, consumer update, disabling and deletion', async () => {
      const { consumerId, key } = await consumerWithKey({ expiresAt: T0 + 86_400_000 });
      expect(await store.findKey(key.id)).toMatchObject({ key: { revokedAt: null, expiresAt: T0 + 86_400_000 }, consumer: { name: 'Ada', status: 'active' } });
      const next = newKey(consumerId);
      await store.rotateKey(key.id, next, T0 + 60_000, T0 + 1);
      expect((await store.findKey(key.id))?.key.expiresAt).toBe(T0 + 60_000);
      expect((await store.findKey(next.id))?.key).toMatchObject({ id: next.id, consumerId, createdAt: T0 + 1 });
      await store.revokeKey(key.id, T0 + 2);
      expect((await store.findKey(key.id))?.key.revokedAt).toBe(T0 + 2);
      await store.updateConsumer(consumerId, { name: 'Grace', metadata: { team: 'core' } }, T0 + 3);
      await store.setConsumerStatus(consumerId, 'disabled', T0 + 4);
      expect((await store.findKey(next.id))?.consumer).toMatchObject({ name: 'Grace', metadata: { team: 'core' }, status: 'disabled', updatedAt: T0 + 4 });
      await store.deleteConsumer(consumerId, T0 + 5);
      expect(await store.findKey(key.id)).toBeUndefined();
      expect(await store.findKey(next.id)).toBeUndefined();
    });

    it('serves concurrent lookups of different keys each with its own key', async () => {
      const created = await Promise.all([1, 2, 3, 4, 5].map(() => consumerWithKey()));
      const found = await Promise.all([...created, ...created].map(({ key }) => store.findKey(key.id)));
      expect(found.map((f) => f?.key.id)).toEqual([...created, ...created].map(({ key }) => key.id));
      expect(found.map((f) => f?.consumer.id)).toEqual([...created, ...created].map(({ consumerId }) => consumerId));
    });

    it('sets and clears a key directory, read back with the consumer and with its keys', async () => {
      const { consumerId, key } = await consumerWithKey();
      expect((await store.getConsumer(consumerId))?.keyDirectory).toBeNull();
      // A URL as long as the API allows, so a column too narrow for it shows on PostgreSQL.
      const url = `https://keys.example.com/${'a'.repeat(2000)}`;
      const set = await store.setKeyDirectory(consumerId, { url, scopes: ['read'] }, T0 + 1);
      expect(set).toMatchObject({ id: consumerId, keyDirectory: { url, scopes: ['read'] }, updatedAt: T0 + 1 });
      expect((await store.getConsumer(consumerId))?.keyDirectory).toEqual({ url, scopes: ['read'] });
      expect((await store.findKey(key.id))?.consumer.keyDirectory).toEqual({ url, scopes: ['read'] });
      expect((await store.setKeyDirectory(consumerId, null, T0 + 2))?.keyDirectory).toBeNull();
      expect((await store.getConsumer(consumerId))?.keyDirectory).toBeNull();
      expect(await store.setKeyDirectory(newConsumerId(), { url, scopes: [] }, T0)).toBeUndefined();
    });

    it('records a key-set change of a directory with a long URL', async () => {
      const change = { url: `https://keys.example.com/${'b'.repeat(2000)}`, added: ['k1'], removed: [], refused: ['key 1: not an object'] };
      await expect(store.recordKeyDirectoryChange(change, T0, { actor: 'key-directory-fetch' })).resolves.toBeUndefined();
    });

    it('answers ping while the database is reachable', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });
  });
}
