import type { Knex } from 'knex';
import { appendAudit, keySummary } from './knex-audit.js';
import { keyRow, toConsumer, toKey, type Row } from './knex-rows.js';
import type { AuditContext, EnrollmentCodeRecord, EnrollmentOutcome, EnrollmentStore, NewEnrollmentCode, NewKey } from './types.js';

function toCode(row: Row): EnrollmentCodeRecord {
  return {
    id: String(row.id),
    consumerId: String(row.consumer_id),
    scopes: JSON.parse(String(row.scopes)) as string[],
    createdBy: String(row.created_by),
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
    usedAt: row.used_at === null || row.used_at === undefined ? null : Number(row.used_at),
    usedKeyId: row.used_key_id === null || row.used_key_id === undefined ? null : String(row.used_key_id),
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
      };
      await trx('enrollment_codes').insert(row);
      const record = toCode(row);
      await appendAudit(trx, audit, now, [
        {
          action: 'enrollment_code.create',
          targetType: 'enrollment_code',
          targetId: record.id,
          consumerId: record.consumerId,
          after: { scopes: record.scopes, expires_at: new Date(record.expiresAt).toISOString() },
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
      const consumer = toConsumer((await trx('consumers').where({ id: code.consumerId }).first()) as Row);
      if (consumer.status !== 'active') return { ok: false, reason: 'consumer_disabled' };
      // The conditional update is the atomic consume: of two racing enrollments only one matches.
      const consumed = await trx('enrollment_codes')
        .where({ id: code.id })
        .whereNull('used_at')
        .andWhere('expires_at', '>', now)
        .update({ used_at: now, used_key_id: key.id });
      if (consumed !== 1) {
        const current = toCode((await trx('enrollment_codes').where({ id: code.id }).first()) as Row);
        return current.usedAt !== null ? { ok: false, reason: 'used', at: current.usedAt } : { ok: false, reason: 'expired', at: current.expiresAt };
      }
      const kRow = keyRow({ ...key, consumerId: consumer.id, scopes: code.scopes }, now);
      await trx('keys').insert(kRow);
      const created = toKey(kRow);
      await appendAudit(trx, { ...audit, actor: created.id }, now, [
        { action: 'key.enroll', targetType: 'key', targetId: created.id, consumerId: consumer.id, after: { ...keySummary(created), enrollment_code: code.id } },
      ]);
      return { ok: true, enrolled: { consumer, key: created }, codeId: code.id };
    });
  }
}
