import { describe, expect, it } from 'vitest';
import { newConsumerId, newKeyId } from '../../src/protocol/ids.js';
import type { KnexAuditStore } from '../../src/store/knex-audit.js';
import type { KnexCredentialStore } from '../../src/store/knex-credential-store.js';
import type { KnexEnrollmentStore } from '../../src/store/knex-enrollment-store.js';
import { isDuplicateKey } from '../../src/store/store-error.js';
import type { NewKey } from '../../src/store/types.js';
import { withLifecycleStores, type OpenedDb } from './lifecycle-stores.js';

const T0 = Date.UTC(2026, 0, 1);
const ctx = (actor: string) => ({ actor, requestId: `req-${actor}`, sourceIp: '192.0.2.1' });

let seed = 1;
function newKey(consumerId: string, overrides: Partial<NewKey> = {}): NewKey {
  const n = seed++;
  const publicKey = Uint8Array.from({ length: 32 }, (_, i) => (n * 31 + i * 7) & 0xff);
  return { id: newKeyId(), consumerId, type: 'ed25519', publicKey, thumbprint: `thumb-${n}-${newKeyId()}`, ...overrides };
}

/**
 * Consumers, keys, enrollment codes and the audit log together: every change writes its audit
 * entry in its own transaction. Each test makes its own consumers, so the suite can share a database.
 */
export function lifecycleStoreContract(engine: string, open: () => Promise<OpenedDb>): void {
  describe(`lifecycle stores on ${engine}`, () => {
    let credentials: KnexCredentialStore;
    let audit: KnexAuditStore;
    let enrollment: KnexEnrollmentStore;
    withLifecycleStores(open, (stores) => ({ credentials, audit, enrollment } = stores));

    async function consumer(name = 'Ada') {
      return credentials.createConsumer({ id: newConsumerId(), name, plan: 'internal', metadata: { tier: 2 }, allowedModes: ['ed25519'] }, T0, ctx('key_admin'));
    }
    const entries = async (consumerId: string) => (await audit.list({ consumerId, limit: 200 })).items.reverse();

    it('stores plan, metadata and allowed modes, and audits the creation with its context', async () => {
      const created = await consumer();
      expect(await credentials.getConsumer(created.id)).toMatchObject({ plan: 'internal', metadata: { tier: 2 }, allowedModes: ['ed25519'] });
      const [entry] = await entries(created.id);
      expect(entry).toMatchObject({ actor: 'key_admin', action: 'consumer.create', targetType: 'consumer', targetId: created.id, requestId: 'req-key_admin', sourceIp: '192.0.2.1', at: T0 });
      expect(entry!.after).toMatchObject({ name: 'Ada', plan: 'internal' });
    });

    it('writes no audit entry for a change that failed (same transaction)', async () => {
      const c = await consumer();
      const first = newKey(c.id);
      await credentials.insertKey(first, T0, ctx('key_a'));
      const duplicate = newKey(c.id, { thumbprint: first.thumbprint });
      const failure = await credentials.insertKey(duplicate, T0, ctx('key_a')).catch((error: unknown) => error);
      expect(isDuplicateKey(failure)).toBe(true);
      expect((await entries(c.id)).map((e) => e.targetId)).toEqual([c.id, first.id]);
    });

    it('defaults the actor to the local operator and writes nothing when the status does not change', async () => {
      const c = await consumer();
      expect(await credentials.setConsumerStatus(c.id, 'active', T0 + 1)).toBe(true);
      expect(await credentials.setConsumerStatus(c.id, 'disabled', T0 + 2)).toBe(true);
      expect(await credentials.setConsumerStatus('con_missing', 'disabled', T0 + 2)).toBe(false);
      expect((await entries(c.id)).map((e) => `${e.action} by ${e.actor}`)).toEqual(['consumer.create by key_admin', 'consumer.disable by local-operator']);
    });

    it('rotates a key in one transaction, keeping an earlier expiry of the old key', async () => {
      const c = await consumer();
      const old = newKey(c.id, { expiresAt: T0 + 1000, scopes: ['keys'] });
      await credentials.insertKey(old, T0);
      const rotation = await credentials.rotateKey(old.id, newKey(c.id, { scopes: ['keys'] }), T0 + 86_400_000, T0, ctx('key_x'));
      expect(rotation?.previous.expiresAt).toBe(T0 + 1000);
      expect(rotation?.key.consumerId).toBe(c.id);
      const later = newKey(c.id);
      await credentials.insertKey(later, T0);
      expect((await credentials.rotateKey(later.id, newKey(c.id), T0 + 5000, T0))?.previous.expiresAt).toBe(T0 + 5000);
      expect(await credentials.rotateKey('key_missing', newKey(c.id), T0, T0)).toBeUndefined();
      const actions = (await entries(c.id)).map((e) => e.action);
      expect(actions.filter((a) => a === 'key.rotate')).toHaveLength(2);
    });

    it('revokes once: a second revocation changes nothing and writes nothing', async () => {
      const c = await consumer();
      const key = newKey(c.id);
      await credentials.insertKey(key, T0);
      expect(await credentials.revokeKey(key.id, T0 + 1, ctx('key_r'))).toBe(true);
      expect(await credentials.revokeKey(key.id, T0 + 2, ctx('key_r'))).toBe(false);
      expect((await credentials.findKey(key.id))?.key.revokedAt).toBe(T0 + 1);
      expect((await entries(c.id)).filter((e) => e.action === 'key.revoke')).toHaveLength(1);
    });

    it('lets exactly one of several concurrent enrollments consume a code', async () => {
      const c = await consumer();
      await enrollment.createCode({ id: `enc_${newKeyId()}`, consumerId: c.id, scopes: ['keys'], expiresAt: T0 + 60_000, codeHash: `hash-${c.id}` }, T0, ctx('key_admin'));
      const outcomes = await Promise.all(
        Array.from({ length: 5 }, () => enrollment.enroll(`hash-${c.id}`, (({ consumerId: _c, scopes: _s, ...rest }) => rest)(newKey(c.id)), T0 + 1, { requestId: 'r' })),
      );
      expect(outcomes.filter((o) => o.ok)).toHaveLength(1);
      expect(outcomes.filter((o) => !o.ok).map((o) => (o.ok ? '' : o.reason))).toEqual(['used', 'used', 'used', 'used']);
      const winner = outcomes.find((o) => o.ok)!;
      if (!winner.ok) throw new Error('unreachable');
      expect(winner.enrolled.key.scopes).toEqual(['keys']);
      expect((await credentials.listKeys(c.id)).map((k) => k.id)).toEqual([winner.enrolled.key.id]);
      const enrolled = (await entries(c.id)).find((e) => e.action === 'key.enroll');
      expect(enrolled?.actor).toBe(winner.enrolled.key.id);
    });

    it('refuses expired and unknown codes, and keeps a code unused while its consumer is disabled', async () => {
      const c = await consumer();
      const key = () => (({ consumerId: _c, scopes: _s, ...rest }) => rest)(newKey(c.id));
      await enrollment.createCode({ id: `enc_${newKeyId()}`, consumerId: c.id, scopes: [], expiresAt: T0 + 10, codeHash: `exp-${c.id}` }, T0, ctx('a'));
      expect(await enrollment.enroll(`exp-${c.id}`, key(), T0 + 10, {})).toEqual({ ok: false, reason: 'expired', at: T0 + 10 });
      expect(await enrollment.enroll(`nope-${c.id}`, key(), T0, {})).toEqual({ ok: false, reason: 'unknown' });
      expect(await enrollment.createCode({ id: `enc_${newKeyId()}`, consumerId: 'con_missing', scopes: [], expiresAt: T0 + 10, codeHash: `x-${c.id}` }, T0, ctx('a'))).toBeUndefined();
      await enrollment.createCode({ id: `enc_${newKeyId()}`, consumerId: c.id, scopes: [], expiresAt: T0 + 1000, codeHash: `dis-${c.id}` }, T0, ctx('a'));
      await credentials.setConsumerStatus(c.id, 'disabled', T0);
      expect(await enrollment.enroll(`dis-${c.id}`, key(), T0 + 1, {})).toEqual({ ok: false, reason: 'consumer_disabled' });
      await credentials.setConsumerStatus(c.id, 'active', T0);
      expect((await enrollment.enroll(`dis-${c.id}`, key(), T0 + 2, {})).ok).toBe(true);
    });

    it('deletes a consumer with its keys and codes, and keeps its audit history', async () => {
      const c = await consumer();
      const key = newKey(c.id);
      await credentials.insertKey(key, T0);
      await enrollment.createCode({ id: `enc_${newKeyId()}`, consumerId: c.id, scopes: [], expiresAt: T0 + 10, codeHash: `del-${c.id}` }, T0, ctx('a'));
      expect(await credentials.deleteConsumer(c.id, T0 + 1, ctx('key_admin'))).toBe(true);
      expect(await credentials.findKey(key.id)).toBeUndefined();
      expect(await credentials.deleteConsumer(c.id, T0 + 1, ctx('key_admin'))).toBe(false);
      const history = await entries(c.id);
      expect(history.map((e) => e.action)).toEqual(['consumer.create', 'key.create', 'enrollment_code.create', 'consumer.delete']);
      expect(history[3]!.before).toMatchObject({ name: 'Ada', key_thumbprints: [key.thumbprint] });
    });

    it('pages through consumers created in the same millisecond without losing or repeating one', async () => {
      const plan = `page-${newKeyId()}`.slice(0, 40);
      const ids = new Set<string>();
      for (let i = 0; i < 7; i++) ids.add((await credentials.createConsumer({ id: newConsumerId(), name: `c${i}`, plan }, T0 + 5)).id);
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await credentials.listConsumers({ plan, limit: 3, ...(cursor !== undefined ? { cursor } : {}) });
        seen.push(...page.items.map((c) => c.id));
        cursor = page.nextCursor ?? undefined;
      } while (cursor !== undefined);
      expect(seen).toHaveLength(7);
      expect(new Set(seen)).toEqual(ids);
    });

    it('filters the audit log by time window, action and target, newest first, with a cursor', async () => {
      const c = await consumer();
      for (let i = 1; i <= 4; i++) await credentials.updateConsumer(c.id, { name: `n${i}` }, T0 + i * 1000, ctx('key_u'));
      const window = await audit.list({ consumerId: c.id, action: 'consumer.update', since: T0 + 2000, until: T0 + 4000, limit: 10 });
      expect(window.items.map((e) => e.after?.name)).toEqual(['n3', 'n2']);
      const first = await audit.list({ targetId: c.id, limit: 2 });
      const second = await audit.list({ targetId: c.id, limit: 2, cursor: first.nextCursor! });
      expect([...first.items, ...second.items].map((e) => e.action)).toEqual(['consumer.update', 'consumer.update', 'consumer.update', 'consumer.update']);
      expect(second.items[0]!.id).toBeLessThan(first.items[1]!.id);
      expect(await credentials.updateConsumer('con_missing', { name: 'x' }, T0)).toBeUndefined();
    });
  });
}
