import type { Knex } from 'knex';
import { encodeBase64url } from '../protocol/base64url.js';
import { storedBytes } from './stored-data.js';
import { decodeCreationCursor, encodeCreationCursor } from './creation-cursor.js';
import { appendAudit, keySummary, type NewAuditEntry } from './knex-audit.js';
import { insertKeyRow, KEY_WITH_CONSUMER_COLUMNS, keyRow, toConsumer, toKey, type Row } from './knex-rows.js';
import {
  LOCAL_OPERATOR_CONTEXT,
  type AuditContext,
  type HmacSecretStore,
  type KeyRecord,
  type KeyTypeQuery,
  type KeyWithConsumer,
  type MasterKeyAddition,
  type NewKey,
  type Page,
  type SealedSecret,
  type SealedSecretRecord,
  type SecretReplacement,
} from './types.js';

function toSealed(row: Row): SealedSecretRecord {
  return {
    keyId: String(row.key_id),
    consumerId: String(row.consumer_id),
    masterKeyVersion: Number(row.master_key_version),
    recordVersion: Number(row.record_version),
    iv: storedBytes(String(row.iv), `HMAC secret IV of ${String(row.key_id)}`),
    ciphertext: storedBytes(String(row.ciphertext), `HMAC secret of ${String(row.key_id)}`),
  };
}

function sealedColumns(sealed: SealedSecret, now: number): Row {
  return {
    master_key_version: sealed.masterKeyVersion,
    record_version: sealed.recordVersion,
    iv: encodeBase64url(sealed.iv),
    ciphertext: encodeBase64url(sealed.ciphertext),
    updated_at: now,
  };
}

function countByVersion(versions: readonly number[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const version of versions) counts[String(version)] = (counts[String(version)] ?? 0) + 1;
  return counts;
}

/**
 * What the audit log keeps of a re-encryption: master key versions, counts and key ids, all
 * public; never a secret, a sealed secret (IV or ciphertext) or a master key.
 */
function reencryptEntry(replaced: readonly SecretReplacement[]): NewAuditEntry {
  const to = replaced.map((r) => r.sealed.masterKeyVersion);
  return {
    action: 'master_key.reencrypt',
    targetType: 'master_key',
    targetId: String(Math.max(...to)),
    consumerId: null,
    before: { master_key_versions: countByVersion(replaced.map((r) => r.fromMasterKeyVersion)) },
    after: { master_key_versions: countByVersion(to), reencrypted: replaced.length, key_ids: replaced.map((r) => r.keyId) },
  };
}

/** The consumer id comes from the key's row: a secret moved to another key or consumer must not decrypt. */
const SEALED_COLUMNS = ['hmac_secrets.*', 'keys.consumer_id as consumer_id'];

export class KnexHmacSecretStore implements HmacSecretStore {
  constructor(private readonly db: Knex) {}

  async createHmacKey(key: NewKey, sealed: SealedSecret, now: number, audit: AuditContext = LOCAL_OPERATOR_CONTEXT): Promise<KeyRecord> {
    if (key.type !== 'hmac') throw new Error('createHmacKey takes HMAC keys only');
    return this.db.transaction(async (trx) => {
      const row = keyRow(key, now);
      await insertKeyRow(trx, row);
      await trx('hmac_secrets').insert({ key_id: key.id, ...sealedColumns(sealed, now) });
      const created = toKey(row);
      await appendAudit(trx, audit, now, [{ action: 'key.create', targetType: 'key', targetId: key.id, consumerId: key.consumerId, after: keySummary(created) }]);
      return created;
    });
  }

  async find(keyId: string): Promise<SealedSecretRecord | undefined> {
    const row = await this.db('hmac_secrets').join('keys', 'keys.id', 'hmac_secrets.key_id').where('hmac_secrets.key_id', keyId).first(SEALED_COLUMNS);
    return row === undefined ? undefined : toSealed(row);
  }

  async list(afterKeyId: string | null, limit: number): Promise<SealedSecretRecord[]> {
    const q = this.db('hmac_secrets').join('keys', 'keys.id', 'hmac_secrets.key_id').select(SEALED_COLUMNS).orderBy('hmac_secrets.key_id').limit(limit);
    if (afterKeyId !== null) q.where('hmac_secrets.key_id', '>', afterKeyId);
    return ((await q) as Row[]).map(toSealed);
  }

  async reencrypt(replacements: readonly SecretReplacement[], now: number, audit: AuditContext): Promise<string[]> {
    if (replacements.length === 0) return [];
    return this.db.transaction(async (trx) => {
      const replaced: SecretReplacement[] = [];
      for (const r of replacements) {
        const changed = await trx('hmac_secrets').where({ key_id: r.keyId, record_version: r.expectedRecordVersion }).update(sealedColumns(r.sealed, now));
        if (changed === 1) replaced.push(r);
      }
      if (replaced.length > 0) await appendAudit(trx, audit, now, [reencryptEntry(replaced)]);
      return replaced.map((r) => r.keyId);
    });
  }

  async recordMasterKeyAdded(added: MasterKeyAddition, persist: () => void, now: number, audit: AuditContext): Promise<void> {
    await this.db.transaction(async (trx) => {
      // The entry first: a database that refuses it stops the key from being persisted at all.
      // Only a failed COMMIT after `persist` could leave the key without its entry.
      await appendAudit(trx, audit, now, [
        {
          action: 'master_key.add',
          targetType: 'master_key',
          targetId: String(added.version),
          consumerId: null,
          after: { master_key_version: added.version, keyring_versions: added.keyringVersions },
        },
      ]);
      persist();
    });
  }

  async countByMasterKeyVersion(): Promise<Map<number, number>> {
    const rows = (await this.db('hmac_secrets').select('master_key_version').count({ n: '*' }).groupBy('master_key_version')) as Row[];
    return new Map(rows.map((row) => [Number(row.master_key_version), Number(row.n)]));
  }

  async listKeysOfType(query: KeyTypeQuery): Promise<Page<KeyWithConsumer>> {
    const q = this.db('keys')
      .join('consumers', 'consumers.id', 'keys.consumer_id')
      .where('keys.type', query.type)
      .orderBy('keys.created_at')
      .orderBy('keys.id')
      .limit(query.limit + 1)
      .select(KEY_WITH_CONSUMER_COLUMNS);
    if (query.unrevoked === true) q.whereNull('keys.revoked_at');
    if (query.cursor !== undefined) {
      const [createdAt, id] = decodeCreationCursor(query.cursor);
      q.where((w) => w.where('keys.created_at', '>', createdAt).orWhere((x) => x.where('keys.created_at', createdAt).andWhere('keys.id', '>', id)));
    }
    const rows = (await q) as Row[];
    const items = rows.slice(0, query.limit).map((row) => ({ key: toKey(row), consumer: toConsumer(row, 'c_') }));
    return { items, nextCursor: rows.length > query.limit ? encodeCreationCursor(items[items.length - 1]!.key) : null };
  }
}
