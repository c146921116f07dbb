import { describe, expect, it } from 'vitest';
import { newConsumerId, newKeyId, randomBase62 } from '../../src/protocol/ids.js';
import { enrollmentCodeState } from '../../src/store/enrollment-code-state.js';
import { type KnexAuditStore } from '../../src/store/knex-audit.js';
import { type KnexCredentialStore } from '../../src/store/knex-credential-store.js';
import { type KnexEnrollmentStore } from '../../src/store/knex-enrollment-store.js';
import type { EnrollmentCodeState } from '../../src/store/types.js';
import { withLifecycleStores, type OpenedDb } from './lifecycle-stores.js';

const T0 = Date.UTC(2026, 0, 1);
const HOUR = 3600_000;
const ctx = (actor: string) => ({ actor, requestId: `req-${actor}`, sourceIp: '192.0.2.1' });

let seed = 1;
/** An Ed25519-shaped key to enroll, unique per call (the thumbprint is unique in the table). */
function enrollingKey() {
  const n = seed++;
  return { id: newKeyId(), type: 'ed25519' as const, publicKey: Uint8Array.from({ length: 32 }, (_, i) => (n * 17 + i * 3) & 0xff), thumbprint: `codes-${n}-${newKeyId()}` };
}

/**
 * Listing and cancelling enrollment codes: states, pages, the cancel's audit entry, and a
 * cancelled code refused by enroll. Each test makes its own consumer, so the suite can share a database.
 */
export function enrollmentCodesContract(engine: string, open: () => Promise<OpenedDb>): void {
  describe(`enrollment code listing and cancellation on ${engine}`, () => {
    let credentials: KnexCredentialStore;
    let audit: KnexAuditStore;
    let enrollment: KnexEnrollmentStore;
    withLifecycleStores(open, (stores) => ({ credentials, audit, enrollment } = stores));

    const consumer = async () => (await credentials.createConsumer({ id: newConsumerId(), name: 'Grace' }, T0, ctx('key_admin'))).id;
    async function code(consumerId: string, options: { createdAt?: number; expiresAt?: number } = {}) {
      const id = `enc_${randomBase62(22)}`;
      const created = await enrollment.createCode({ id, consumerId, scopes: ['keys'], expiresAt: options.expiresAt ?? T0 + HOUR, codeHash: `hash-${id}` }, options.createdAt ?? T0, ctx('key_admin'));
      return { id, hash: `hash-${id}`, record: created! };
    }
    const actions = async (targetId: string) => (await audit.list({ targetId, limit: 50 })).items.map((e) => e.action).reverse();

    it('cancels a pending code once: it is stored, audited in the same change, and never enrolls', async () => {
      const c = await consumer();
      const pending = await code(c);
      const outcome = await enrollment.cancelCode(pending.id, T0 + 10, ctx('key_admin'));
      expect(outcome).toEqual({ ok: true, changed: true, code: { ...pending.record, cancelledAt: T0 + 10 } });
      const [entry] = (await audit.list({ targetId: pending.id, action: 'enrollment_code.cancel', limit: 5 })).items;
      expect(entry).toMatchObject({ actor: 'key_admin', targetType: 'enrollment_code', consumerId: c, requestId: 'req-key_admin', at: T0 + 10 });
      expect(entry!.before).toEqual({ state: 'pending', expires_at: new Date(T0 + HOUR).toISOString() });
      expect(entry!.after).toEqual({ state: 'cancelled', cancelled_at: new Date(T0 + 10).toISOString() });
      expect(await enrollment.enroll(pending.hash, enrollingKey(), T0 + 20, {})).toEqual({ ok: false, reason: 'cancelled' });
      expect(await credentials.listKeys(c)).toEqual([]);
    });

    it('answers a second cancellation with the code unchanged and writes no second entry', async () => {
      const c = await consumer();
      const pending = await code(c);
      await enrollment.cancelCode(pending.id, T0 + 10, ctx('key_admin'));
      const again = await enrollment.cancelCode(pending.id, T0 + 99, ctx('key_other'));
      expect(again).toMatchObject({ ok: true, changed: false, code: { cancelledAt: T0 + 10 } });
      expect(await actions(pending.id)).toEqual(['enrollment_code.create', 'enrollment_code.cancel']);
    });

    it('refuses to cancel a used code, naming the key it enrolled, and writes nothing', async () => {
      const c = await consumer();
      const used = await code(c);
      const enrolled = await enrollment.enroll(used.hash, enrollingKey(), T0 + 5, {});
      if (!enrolled.ok) throw new Error(`enroll failed: ${enrolled.reason}`);
      const outcome = await enrollment.cancelCode(used.id, T0 + 10, ctx('key_admin'));
      expect(outcome).toMatchObject({ ok: false, reason: 'used', code: { usedAt: T0 + 5, usedKeyId: enrolled.enrolled.key.id, cancelledAt: null } });
      expect(await actions(used.id)).toEqual(['enrollment_code.create']);
    });

    it('cancels an expired code, recording that it had expired, and knows no unknown id', async () => {
      const c = await consumer();
      const expired = await code(c, { expiresAt: T0 + 100 });
      expect(await enrollment.cancelCode(expired.id, T0 + 100, ctx('key_admin'))).toMatchObject({ ok: true, changed: true });
      const [entry] = (await audit.list({ targetId: expired.id, action: 'enrollment_code.cancel', limit: 5 })).items;
      expect(entry!.before).toMatchObject({ state: 'expired' });
      expect(await enrollment.cancelCode(`enc_${randomBase62(22)}`, T0, ctx('key_admin'))).toEqual({ ok: false, reason: 'unknown' });
    });

    it('lets exactly one of a racing enrollment and cancellation win', async () => {
      const c = await consumer();
      const raced = await code(c);
      const [enrolled, cancelled] = await Promise.all([enrollment.enroll(raced.hash, enrollingKey(), T0 + 1, {}), enrollment.cancelCode(raced.id, T0 + 1, ctx('key_admin'))]);
      expect([enrolled.ok, cancelled.ok && cancelled.changed].filter(Boolean)).toHaveLength(1);
      expect(await credentials.listKeys(c)).toHaveLength(enrolled.ok ? 1 : 0);
      const [stored] = (await enrollment.listCodes({ consumerId: c, now: T0 + 2, limit: 10 })).items;
      expect(enrollmentCodeState(stored!, T0 + 2)).toBe(enrolled.ok ? 'used' : 'cancelled');
    });

    it('filters by state with the same rule as enrollmentCodeState, at the time given', async () => {
      const c = await consumer();
      const pending = await code(c, { createdAt: T0 + 1, expiresAt: T0 + HOUR });
      const expired = await code(c, { createdAt: T0 + 2, expiresAt: T0 + 100 });
      const used = await code(c, { createdAt: T0 + 3 });
      expect((await enrollment.enroll(used.hash, enrollingKey(), T0 + 4, {})).ok).toBe(true);
      const cancelledExpired = await code(c, { createdAt: T0 + 4, expiresAt: T0 + 50 });
      await enrollment.cancelCode(cancelledExpired.id, T0 + 60, ctx('key_admin'));
      const now = T0 + 100;
      const expected: Record<EnrollmentCodeState, string[]> = { pending: [pending.id], expired: [expired.id], used: [used.id], cancelled: [cancelledExpired.id] };
      for (const state of ['pending', 'expired', 'used', 'cancelled'] as const) {
        const page = await enrollment.listCodes({ consumerId: c, state, now, limit: 10 });
        expect(
          page.items.map((item) => item.id),
          state,
        ).toEqual(expected[state]);
        for (const item of page.items) expect(enrollmentCodeState(item, now)).toBe(state);
      }
      const all = await enrollment.listCodes({ consumerId: c, now, limit: 10 });
      expect(all.items.map((item) => item.id)).toEqual([pending.id, expired.id, used.id, cancelledExpired.id]);
    });

    it("pages through one consumer's codes created in the same millisecond without losing or repeating one, and only that consumer's", async () => {
      const c = await consumer();
      const other = await consumer();
      await code(other);
      const ids = new Set<string>();
      for (let i = 0; i < 7; i++) ids.add((await code(c, { createdAt: T0 + 5 })).id);
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await enrollment.listCodes({ consumerId: c, now: T0, limit: 3, ...(cursor !== undefined ? { cursor } : {}) });
        seen.push(...page.items.map((item) => item.id));
        cursor = page.nextCursor ?? undefined;
      } while (cursor !== undefined);
      expect(seen).toHaveLength(7);
      expect(new Set(seen)).toEqual(ids);
      await expect(enrollment.listCodes({ consumerId: c, now: T0, limit: 3, cursor: 'not-a-cursor' })).rejects.toMatchObject({ code: 'invalid_request' });
    });
  });
}
