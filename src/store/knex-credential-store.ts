import type { Knex } from 'knex';
import { decodeBase64url, encodeBase64url } from '../protocol/base64url.js';
import type { KeyType } from '../protocol/format.js';
import type {
  ConsumerRecord,
  ConsumerStatus,
  CredentialStore,
  KeyRecord,
  KeyWithConsumer,
  NewConsumer,
  NewKey,
} from './types.js';

type Row = Record<string, unknown>;

const num = (value: unknown): number => Number(value);
const optionalNum = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));

function toConsumer(row: Row, prefix = ''): ConsumerRecord {
  return {
    id: String(row[`${prefix}id`]),
    name: String(row[`${prefix}name`]),
    status: row[`${prefix}status`] as ConsumerStatus,
    createdAt: num(row[`${prefix}created_at`]),
    updatedAt: num(row[`${prefix}updated_at`]),
  };
}

function toKey(row: Row): KeyRecord {
  return {
    id: String(row.id),
    consumerId: String(row.consumer_id),
    type: row.type as KeyType,
    publicKey: row.public_key === null ? null : decodeBase64url(String(row.public_key)),
    thumbprint: row.thumbprint === null ? null : String(row.thumbprint),
    label: String(row.label),
    scopes: JSON.parse(String(row.scopes)) as string[],
    notBefore: optionalNum(row.not_before),
    expiresAt: optionalNum(row.expires_at),
    revokedAt: optionalNum(row.revoked_at),
    lastUsedAt: optionalNum(row.last_used_at),
    createdAt: num(row.created_at),
  };
}

function keyRow(key: NewKey, now: number): Row {
  return {
    id: key.id,
    consumer_id: key.consumerId,
    type: key.type,
    public_key: key.publicKey === null ? null : encodeBase64url(key.publicKey),
    thumbprint: key.thumbprint,
    label: key.label ?? '',
    scopes: JSON.stringify(key.scopes ?? []),
    not_before: key.notBefore ?? null,
    expires_at: key.expiresAt ?? null,
    revoked_at: null,
    last_used_at: null,
    created_at: now,
  };
}

const KEY_WITH_CONSUMER_COLUMNS = [
  'keys.*',
  'consumers.id as c_id',
  'consumers.name as c_name',
  'consumers.status as c_status',
  'consumers.created_at as c_created_at',
  'consumers.updated_at as c_updated_at',
];

export class KnexCredentialStore implements CredentialStore {
  constructor(private readonly db: Knex) {}

  async createConsumerWithKey(consumer: NewConsumer, key: NewKey, now: number): Promise<KeyWithConsumer> {
    await this.db.transaction(async (trx) => {
      await trx('consumers').insert({ id: consumer.id, name: consumer.name, status: 'active', created_at: now, updated_at: now });
      await trx('keys').insert(keyRow({ ...key, consumerId: consumer.id }, now));
    });
    const created = await this.findKey(key.id);
    if (created === undefined) throw new Error('consumer and key vanished right after their insert');
    return created;
  }

  async getConsumer(id: string): Promise<ConsumerRecord | undefined> {
    const row = await this.db('consumers').where({ id }).first();
    return row === undefined ? undefined : toConsumer(row);
  }

  async setConsumerStatus(id: string, status: ConsumerStatus, now: number): Promise<boolean> {
    return (await this.db('consumers').where({ id }).update({ status, updated_at: now })) > 0;
  }

  async insertKey(key: NewKey, now: number): Promise<KeyRecord> {
    const row = keyRow(key, now);
    await this.db('keys').insert(row);
    return toKey(row);
  }

  async findKey(id: string): Promise<KeyWithConsumer | undefined> {
    const row = await this.db('keys')
      .join('consumers', 'consumers.id', 'keys.consumer_id')
      .where('keys.id', id)
      .first(KEY_WITH_CONSUMER_COLUMNS);
    return row === undefined ? undefined : { key: toKey(row), consumer: toConsumer(row, 'c_') };
  }

  async listKeys(consumerId: string): Promise<KeyRecord[]> {
    const rows = await this.db('keys').where({ consumer_id: consumerId }).orderBy('created_at').orderBy('id');
    return rows.map(toKey);
  }

  async revokeKey(id: string, now: number): Promise<boolean> {
    return (await this.db('keys').where({ id }).whereNull('revoked_at').update({ revoked_at: now })) > 0;
  }

  async recordLastUsed(lastUsed: ReadonlyMap<string, number>): Promise<void> {
    if (lastUsed.size === 0) return;
    await this.db.transaction(async (trx) => {
      for (const [id, at] of lastUsed) {
        await trx('keys')
          .where({ id })
          .andWhere((q) => q.whereNull('last_used_at').orWhere('last_used_at', '<', at))
          .update({ last_used_at: at });
      }
    });
  }

  async ping(): Promise<void> {
    await this.db.raw('select 1');
  }
}
