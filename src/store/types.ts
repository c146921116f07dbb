import type { KeyType } from '../protocol/format.js';

export type ConsumerStatus = 'active' | 'disabled';

export interface ConsumerRecord {
  id: string;
  name: string;
  status: ConsumerStatus;
  createdAt: number;
  updatedAt: number;
}

export interface KeyRecord {
  id: string;
  consumerId: string;
  type: KeyType;
  /** Raw 32-byte Ed25519 public key; null for HMAC keys. */
  publicKey: Uint8Array | null;
  /** RFC 7638 thumbprint of the public key; null for HMAC keys. */
  thumbprint: string | null;
  label: string;
  scopes: string[];
  notBefore: number | null;
  expiresAt: number | null;
  revokedAt: number | null;
  lastUsedAt: number | null;
  createdAt: number;
}

export interface KeyWithConsumer {
  key: KeyRecord;
  consumer: ConsumerRecord;
}

export type NewConsumer = Pick<ConsumerRecord, 'id' | 'name'>;
export type NewKey = Pick<KeyRecord, 'id' | 'consumerId' | 'type' | 'publicKey' | 'thumbprint'> &
  Partial<Pick<KeyRecord, 'label' | 'scopes' | 'notBefore' | 'expiresAt'>>;

/** Durable consumers and keys (knex: SQLite or PostgreSQL). Times are epoch milliseconds. */
export interface CredentialStore {
  createConsumerWithKey(consumer: NewConsumer, key: NewKey, now: number): Promise<KeyWithConsumer>;
  getConsumer(id: string): Promise<ConsumerRecord | undefined>;
  setConsumerStatus(id: string, status: ConsumerStatus, now: number): Promise<boolean>;
  insertKey(key: NewKey, now: number): Promise<KeyRecord>;
  /** The key and its consumer in one read: what the verifier needs on a cache miss. */
  findKey(id: string): Promise<KeyWithConsumer | undefined>;
  listKeys(consumerId: string): Promise<KeyRecord[]>;
  revokeKey(id: string, now: number): Promise<boolean>;
  /** Writes coalesced last-use times in one batch; never lowers a stored value. */
  recordLastUsed(lastUsed: ReadonlyMap<string, number>): Promise<void>;
  ping(): Promise<void>;
}

export type ReplayVerdict = 'fresh' | 'replayed';

/**
 * One-time `jti` bookkeeping. `checkAndSet` is atomic: of any number of concurrent calls with the
 * same key id and jti, exactly one sees 'fresh'. It must refuse (throw replay_store_full) rather
 * than forget a live entry.
 */
export interface ReplayStore {
  checkAndSet(kid: string, jti: string, expiresAtMs: number): Promise<ReplayVerdict>;
  size(): number;
}
