import type { Knex } from 'knex';
import { decodeCreationCursor, encodeCreationCursor } from './creation-cursor.js';
import { enrollmentCodeState, whereEnrollmentCodeState } from './enrollment-code-state.js';
import { appendAudit, keySummary } from './knex-audit.js';
import { insertKeyRow, keyRow, toConsumer, toKey, type Row } from './knex-rows.js';
import type { AuditContext, CancelOutcome, EnrollmentCodeQuery, EnrollmentCodeRecord, EnrollmentOutcome, EnrollmentStore, NewEnrollmentCode, NewKey, Page } from './types.js';

const optionalNum = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));
const iso = (ms: number) => new Date(ms).toISOString();

function toCode(row: Row): EnrollmentCodeRecord {
  return {
    id: String(row.id),
    consumerId: String(row.consumer_id),
    scopes: JSON.parse(String(row.scopes)) as string[],
    createdBy: String(row.created_by),
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
    usedAt: optionalNum(row.used_at),
    usedKeyId: row.used_key_id === null || row.used_key_id === undefined ? null : String(row.used_key_id),
    cancelledAt: optionalNum(row.cancelled_at),
  };
}

/** One-time enrollment codes, stored as SHA-256 hashes only. */
export class KnexEnrollmentStore implements EnrollmentStore {
  constructor(private readonly db: Knex) {}

  async createCode(code: NewEnrollmentCode, now: number, audit: AuditContext): Promise<EnrollmentCodeRecord | undefined> {
    return this.db.transaction(async (trx) => {
      const consumer = await trx('consumers').where({ id: code.consumerId }).first('id');
      if (consumer === undefined) return undefined;
      const row: Row = {
        id: code.id,
        consumer_id: code.consumerId,
        code_hash: code.codeHash,
        scopes: JSON.stringify(code.scopes),
        created_by: audit.actor,
        created_at: now,
        expires_at: code.expiresAt,
        used_at: null,
        used_key_id: null,
        cancelled_at: null,
      };
      await trx('enrollment_codes').insert(row);
      const record = toCode(row);
      await appendAudit(trx, audit, now, [
        {
          action: 'enrollment_code.create',
          targetType: 'enrollment_code',
          targetId: record.id,
          consumerId: record.consumerId,
          // Marked, so an audit review finds every code that could make someone an admin.
          after: { scopes: record.scopes, expires_at: iso(record.expiresAt), ...(record.scopes.includes('admin') ? { grants_admin: true } : {}) },
        },
      ]);
      return record;
    });
  }

  async enroll(codeHash: string, key: Omit<NewKey, 'consumerId' | 'scopes'>, now: number, audit: Omit<AuditContext, 'actor'>): Promise<EnrollmentOutcome> {
    return this.db.transaction(async (trx) => {
      const row = (await trx('enrollment_codes').where({ code_hash: codeHash }).first()) as Row | undefined;
      if (row === undefined) return { ok: false, reason: 'unknown' };
      const code = toCode(row);
      // Before the consumer is read, so a cancelled code answers exactly as an unknown one does.
      if (code.cancelledAt !== null) return { ok: false, reason: 'cancelled' };
      const consumer = toConsumer((await trx('consumers').where({ id: code.consumerId }).first()) as Row);
      if (consumer.status !== 'active') return { ok: false, reason: 'consumer_disabled' };
      // The conditional update is the atomic consume: of two racing enrollments only one matches.
      const consumed = await trx('enrollment_codes')
        .where({ id: code.id })
        .whereNull('used_at')
        .whereNull('cancelled_at')
        .andWhere('expires_at', '>', now)
        .update({ used_at: now, used_key_id: key.id });
      if (consumed !== 1) {
        const current = toCode((await trx('enrollment_codes').where({ id: code.id }).first()) as Row);
        if (current.cancelledAt !== null) return { ok: false, reason: 'cancelled' };
        return current.usedAt !== null ? { ok: false, reason: 'used', at: current.usedAt } : { ok: false, reason: 'expired', at: current.expiresAt };
      }
      const kRow = keyRow({ ...key, consumerId: consumer.id, scopes: code.scopes }, now);
      await insertKeyRow(trx, kRow);
      const created = toKey(kRow);
      await appendAudit(trx, { ...audit, actor: created.id }, now, [
        { action: 'key.enroll', targetType: 'key', targetId: created.id, consumerId: consumer.id, after: { ...keySummary(created), enrollment_code: code.id } },
      ]);
      return { ok: true, enrolled: { consumer, key: created }, codeId: code.id };
    });
  }

  async listCodes(query: EnrollmentCodeQuery): Promise<Page<EnrollmentCodeRecord>> {
    const q = this.db('enrollment_codes')
      .where('consumer_id', query.consumerId)
      .orderBy('created_at')
      .orderBy('id')
      .limit(query.limit + 1);
    if (query.state !== undefined) whereEnrollmentCodeState(q, query.state, query.now);
    if (query.cursor !== undefined) {
      const [createdAt, id] = decodeCreationCursor(query.cursor);
      q.where((w) => w.where('created_at', '>', createdAt).orWhere((x) => x.where('created_at', createdAt).andWhere('id', '>', id)));
    }
    const rows = (await q) as Row[];
    const items = rows.slice(0, query.limit).map(toCode);
    return { items, nextCursor: rows.length > query.limit ? encodeCreationCursor(items[items.length - 1]!) : null };
  }

  async cancelCode(id: string, now: number, audit: AuditContext): Promise<CancelOutcome> {
    return this.db.transaction(async (trx) => {
      const read = async () => {
        const row = (await trx('enrollment_codes').where({ id }).first()) as Row | undefined;
        return row === undefined ? undefined : toCode(row);
      };
      const code = await read();
      if (code === undefined) return { ok: false, reason: 'unknown' };
      // Conditional, like the consume in enroll: of a racing enrollment and cancellation one wins.
      const cancelled = await trx('enrollment_codes').where({ id }).whereNull('used_at').whereNull('cancelled_at').update({ cancelled_at: now });
      if (cancelled !== 1) {
        const current = await read();
        if (current === undefined) return { ok: false, reason: 'unknown' };
        return current.cancelledAt !== null ? { ok: true, code: current, changed: false } : { ok: false, reason: 'used', code: current };
      }
      await appendAudit(trx, audit, now, [
        {
          action: 'enrollment_code.cancel',
          targetType: 'enrollment_code',
          targetId: code.id,
          consumerId: code.consumerId,
          before: { state: enrollmentCodeState(code, now), expires_at: iso(code.expiresAt) },
          after: { state: 'cancelled', cancelled_at: iso(now) },
        },
      ]);
      return { ok: true, code: { ...code, cancelledAt: now }, changed: true };
    });
  }
}
