import { lookAlikeKey } from '../protocol/look-alike.js';
import type { Knex } from 'knex';
import { encodeBase64url } from '../protocol/base64url.js';
import { storedBytes } from './stored-data.js';
import type { RateLimitOverride } from '../plans.js';
import type { KeyType } from '../protocol/format.js';
import { StoreError } from './store-error.js';
import type { ConsumerMetadata, ConsumerRecord, ConsumerStatus, KeyDirectoryRegistration, KeyRecord, NewConsumer, NewKey } from './types.js';

/** Row mapping shared by the knex stores: SQLite and PostgreSQL return the same shapes through it. */
export type Row = Record<string, unknown>;

const num = (value: unknown): number => Number(value);
const optionalNum = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));

function jsonColumn<T>(value: unknown, fallback: T): T {
  if (value === null || value === undefined) return fallback;
  return JSON.parse(String(value)) as T;
}

const CONSUMER_COLUMNS = ['id', 'name', 'status', 'plan', 'rate_limit_overrides', 'metadata', 'allowed_modes', 'key_directory_url', 'key_directory_scopes', 'created_at', 'updated_at'] as const;

export function toConsumer(row: Row, prefix = ''): ConsumerRecord {
  return {
    id: String(row[`${prefix}id`]),
    name: String(row[`${prefix}name`]),
    status: row[`${prefix}status`] as ConsumerStatus,
    plan: row[`${prefix}plan`] === null || row[`${prefix}plan`] === undefined ? null : String(row[`${prefix}plan`]),
    rateLimitOverrides: jsonColumn<RateLimitOverride[] | null>(row[`${prefix}rate_limit_overrides`], null),
    metadata: jsonColumn<ConsumerMetadata>(row[`${prefix}metadata`], {}),
    allowedModes: jsonColumn<KeyType[]>(row[`${prefix}allowed_modes`], ['ed25519']),
    keyDirectory: toKeyDirectory(row, prefix),
    createdAt: num(row[`${prefix}created_at`]),
    updatedAt: num(row[`${prefix}updated_at`]),
  };
}

function toKeyDirectory(row: Row, prefix: string): KeyDirectoryRegistration | null {
  const url = row[`${prefix}key_directory_url`];
  if (url === null || url === undefined) return null;
  return { url: String(url), scopes: jsonColumn<string[]>(row[`${prefix}key_directory_scopes`], []) };
}

/** The consumer columns of a key directory registration (both null to clear it). */
export function keyDirectoryColumns(registration: KeyDirectoryRegistration | null): Row {
  return { key_directory_url: registration?.url ?? null, key_directory_scopes: registration === null ? null : JSON.stringify(registration.scopes) };
}

export function consumerRow(consumer: NewConsumer, now: number): Row {
  return {
    id: consumer.id,
    name: consumer.name,
    name_key: lookAlikeKey(consumer.name),
    status: 'active',
    plan: consumer.plan ?? null,
    rate_limit_overrides: consumer.rateLimitOverrides == null ? null : JSON.stringify(consumer.rateLimitOverrides),
    metadata: JSON.stringify(consumer.metadata ?? {}),
    allowed_modes: JSON.stringify(consumer.allowedModes ?? ['ed25519']),
    created_at: now,
    updated_at: now,
  };
}

export function toKey(row: Row): KeyRecord {
  return {
    id: String(row.id),
    consumerId: String(row.consumer_id),
    type: row.type as KeyType,
    publicKey: row.public_key === null ? null : storedBytes(String(row.public_key), `public key of ${String(row.id)}`),
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

export function keyRow(key: NewKey, now: number): Row {
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

export const KEY_WITH_CONSUMER_COLUMNS = ['keys.*', ...CONSUMER_COLUMNS.map((column) => `consumers.${column} as c_${column}`)];

/** A unique-constraint violation on SQLite or PostgreSQL (SQLSTATE 23505). */
function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown } | null;
  return e?.code === '23505' || (e?.code === 'SQLITE_CONSTRAINT' && /UNIQUE/i.test(String(e.message))) || /UNIQUE constraint failed/i.test(String(e?.message));
}

/**
 * Inserts a key row; a key that exists already (same id or same public key thumbprint) is a
 * StoreError duplicate_key, so callers never parse an engine's error.
 */
export async function insertKeyRow(trx: Knex.Transaction, row: Row): Promise<void> {
  try {
    await trx('keys').insert(row);
  } catch (error) {
    if (isUniqueViolation(error)) throw new StoreError('duplicate_key', `key ${String(row.id)} or its public key is registered already`, { cause: error });
    throw error;
  }
}
