import type { RateLimitOverride } from '../plans.js';
import type { KeyType } from '../protocol/format.js';

export type ConsumerStatus = 'active' | 'disabled';

/** Flat admin-chosen labels on a consumer (stored as JSON text). */
export type ConsumerMetadata = Record<string, string | number | boolean | null>;

export interface ConsumerRecord {
  id: string;
  name: string;
  status: ConsumerStatus;
  /** Rate-limit plan name; null for the default plan. */
  plan: string | null;
  /** Per-consumer windows applied over the plan's (docs/rate-limits.md); null for none. */
  rateLimitOverrides: RateLimitOverride[] | null;
  metadata: ConsumerMetadata;
  /** Signing modes this consumer may use. */
  allowedModes: KeyType[];
  /**
   * Where the consumer publishes its own keys (a JWKS or a Web Bot Auth key directory), next to or
   * instead of uploaded keys; null (or absent, for records not read from the store) when none.
   */
  keyDirectory?: KeyDirectoryRegistration | null;
  createdAt: number;
  updatedAt: number;
}

/** A consumer's key directory: its URL and the scopes every key in it gets (an uploaded key has its own). */
export interface KeyDirectoryRegistration {
  url: string;
  scopes: string[];
}

/** A change of a fetched key set, for the audit log: directory kids only, never key material. */
export interface KeyDirectoryChange {
  url: string;
  added: string[];
  removed: string[];
  /** Keys the directory served that failed the upload checks, with why. */
  refused: string[];
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

export type NewConsumer = Pick<ConsumerRecord, 'id' | 'name'> & Partial<Pick<ConsumerRecord, 'plan' | 'rateLimitOverrides' | 'metadata' | 'allowedModes'>>;
export type ConsumerPatch = Partial<Pick<ConsumerRecord, 'name' | 'plan' | 'rateLimitOverrides' | 'metadata' | 'allowedModes'>>;
export type NewKey = Pick<KeyRecord, 'id' | 'consumerId' | 'type' | 'publicKey' | 'thumbprint'> & Partial<Pick<KeyRecord, 'label' | 'scopes' | 'notBefore' | 'expiresAt'>>;

/**
 * Who made a change, for the audit log. The store writes the audit entry itself, in the same
 * transaction as the change, so a change cannot happen without its entry.
 */
export interface AuditContext {
  /** The key id that signed the request, or LOCAL_OPERATOR for direct database access. */
  actor: string;
  requestId?: string | null;
  sourceIp?: string | null;
}

const LOCAL_OPERATOR = 'local-operator';
export const LOCAL_OPERATOR_CONTEXT: AuditContext = Object.freeze({ actor: LOCAL_OPERATOR });

export interface Page<T> {
  items: T[];
  /** Opaque; pass it back to read the next page. Null on the last page. */
  nextCursor: string | null;
}

export interface ConsumerQuery {
  status?: ConsumerStatus;
  plan?: string;
  cursor?: string;
  limit: number;
}

export interface KeyRotation {
  previous: KeyRecord;
  key: KeyRecord;
}

/**
 * Durable consumers and keys (knex: SQLite or PostgreSQL). Times are epoch milliseconds. Every
 * method that changes state appends its audit entry in the same transaction (actor from `audit`,
 * the local operator when omitted).
 */
export interface CredentialStore {
  createConsumerWithKey(consumer: NewConsumer, key: NewKey, now: number, audit?: AuditContext): Promise<KeyWithConsumer>;
  createConsumer(consumer: NewConsumer, now: number, audit?: AuditContext): Promise<ConsumerRecord>;
  getConsumer(id: string): Promise<ConsumerRecord | undefined>;
  /** The oldest consumer (other than `exceptId`) whose name looks like `name` (protocol/look-alike.ts); undefined when none does. */
  findLookAlikeConsumer(name: string, exceptId?: string): Promise<ConsumerRecord | undefined>;
  /** Consumers in creation order; an unreadable cursor is a SignetError invalid_request. */
  listConsumers(query: ConsumerQuery): Promise<Page<ConsumerRecord>>;
  /** Undefined when there is no such consumer. */
  updateConsumer(id: string, patch: ConsumerPatch, now: number, audit?: AuditContext): Promise<ConsumerRecord | undefined>;
  /** False when there is no such consumer. Setting the current status again changes nothing and writes no entry. */
  setConsumerStatus(id: string, status: ConsumerStatus, now: number, audit?: AuditContext): Promise<boolean>;
  /** Deletes the consumer with its keys and enrollment codes; the audit history stays. */
  deleteConsumer(id: string, now: number, audit?: AuditContext): Promise<boolean>;
  insertKey(key: NewKey, now: number, audit?: AuditContext): Promise<KeyRecord>;
  /** The key and its consumer in one read: what the verifier needs on a cache miss. */
  findKey(id: string): Promise<KeyWithConsumer | undefined>;
  listKeys(consumerId: string): Promise<KeyRecord[]>;
  /** Sets revoked_at; false when the key does not exist or was already revoked. */
  revokeKey(id: string, now: number, audit?: AuditContext): Promise<boolean>;
  /**
   * Inserts `key` and makes `previousId` expire at `previousExpiresAt` (or keeps its earlier
   * expiry), in one transaction. Undefined when the previous key does not exist.
   */
  rotateKey(previousId: string, key: NewKey, previousExpiresAt: number, now: number, audit?: AuditContext): Promise<KeyRotation | undefined>;
  /**
   * Sets (or, with null, clears) the consumer's key directory, with a key_directory.set or
   * key_directory.clear entry. Undefined when there is no such consumer.
   */
  setKeyDirectory(id: string, registration: KeyDirectoryRegistration | null, now: number, audit?: AuditContext): Promise<ConsumerRecord | undefined>;
  /** Writes one key_directory.change entry: a fetched key set differed from the last good one. */
  recordKeyDirectoryChange(change: KeyDirectoryChange, now: number, audit: AuditContext): Promise<void>;
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
  /**
   * `issuedAtMs` is the token's iat in ms: a shared store that has lost its history (Redis
   * restarted empty) refuses, with 503, tokens that may have been accepted before the loss.
   */
  checkAndSet(kid: string, jti: string, expiresAtMs: number, issuedAtMs: number): Promise<ReplayVerdict>;
  /** Live entries held (for a shared store: those this instance wrote). */
  size(): number;
  /** For a shared store that restarted empty: until when it refuses tokens it cannot check (epoch ms); undefined when it refuses none. */
  refusingUntil?(): number | undefined;
}

/** One rate-limit counter (RateLimitStore's key and expiry) to add 1 to. */
export interface CounterIncrement {
  key: string;
  expiresAtMs: number;
}

/**
 * The replay check-and-set and, only for a fresh token, adding 1 to rate-limit counters, as one
 * store call: on Redis one script and one round trip where the two stores took two. A replayed
 * token, or one refused for lost history, counts nothing, so replaying a victim's token cannot
 * spend the victim's rate limit. The counters are the rate-limit store's (same keys, same values).
 */
export interface FreshTokenCounter {
  /** ReplayStore.checkAndSet, then the counters' new values in order when fresh (empty otherwise). */
  checkAndSetThenCount(kid: string, jti: string, expiresAtMs: number, issuedAtMs: number, counters: readonly CounterIncrement[]): FreshTokenCount | Promise<FreshTokenCount>;
}

/** What FreshTokenCounter.checkAndSetThenCount answers; a store in this process's memory may answer synchronously. */
export interface FreshTokenCount {
  verdict: ReplayVerdict;
  counts: number[];
}

/**
 * The durable record, in the SQL database, of the time up to which one-time tokens may have been
 * accepted. The database survives a Redis that loses its data; this record tells the new, empty
 * replay cache how far back its missing history could reach, and a deployment that never accepted
 * a token has none, so it need not refuse anything.
 */
export interface ReplayHighWater {
  /** Records that tokens may be accepted until `untilMs`; never lowers the mark. */
  raise(untilMs: number): Promise<void>;
  /** The mark; undefined when no token was ever accepted. */
  read(): Promise<number | undefined>;
}

/**
 * `master_key`: a version of the master keyring that encrypts HMAC secrets; its id is the version
 * number. `key_directory`: a fetched key directory; its id is the directory URL.
 */
export type AuditTargetType = 'consumer' | 'key' | 'enrollment_code' | 'master_key' | 'key_directory';

export interface AuditEntry {
  /** Increasing sequence number. */
  id: number;
  at: number;
  actor: string;
  action: string;
  targetType: AuditTargetType;
  targetId: string;
  consumerId: string | null;
  requestId: string | null;
  sourceIp: string | null;
  /** Summaries of the state before and after; public key thumbprints at most, never key material. */
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

export interface AuditQuery {
  since?: number;
  until?: number;
  consumerId?: string;
  actor?: string;
  action?: string;
  targetId?: string;
  cursor?: string;
  limit: number;
}

/** The audit log, read side. It has no update or delete: entries are written by the mutating stores. */
export interface AuditStore {
  /** Newest first. */
  list(query: AuditQuery): Promise<Page<AuditEntry>>;
}

export interface EnrollmentCodeRecord {
  id: string;
  consumerId: string;
  scopes: string[];
  createdBy: string;
  createdAt: number;
  expiresAt: number;
  usedAt: number | null;
  usedKeyId: string | null;
  /** Set once by an admin's cancellation; a cancelled code never enrolls. */
  cancelledAt: number | null;
}

/** Where a code stands at a given time (enrollmentCodeState): cancelled, used, expired, else pending. */
export type EnrollmentCodeState = 'pending' | 'used' | 'expired' | 'cancelled';

export interface EnrollmentCodeQuery {
  consumerId: string;
  /** Only the codes in this state at `now`. */
  state?: EnrollmentCodeState;
  now: number;
  cursor?: string;
  limit: number;
}

export type CancelOutcome =
  /** `changed` is false when the code was already cancelled: nothing is written again. */
  { ok: true; code: EnrollmentCodeRecord; changed: boolean } | { ok: false; reason: 'unknown' } | { ok: false; reason: 'used'; code: EnrollmentCodeRecord };

export type NewEnrollmentCode = Pick<EnrollmentCodeRecord, 'id' | 'consumerId' | 'scopes' | 'expiresAt'> & {
  /** SHA-256 of the code (base64url); the code itself is never stored. */
  codeHash: string;
};

export type EnrollmentOutcome = { ok: true; enrolled: KeyWithConsumer; codeId: string } | { ok: false; reason: 'unknown' | 'expired' | 'used' | 'cancelled' | 'consumer_disabled'; at?: number };

export interface EnrollmentStore {
  /** Undefined when the consumer does not exist. */
  createCode(code: NewEnrollmentCode, now: number, audit: AuditContext): Promise<EnrollmentCodeRecord | undefined>;
  /**
   * Consumes the code and inserts the key (with the code's scopes) atomically: of concurrent calls
   * with one code, at most one succeeds. The actor of the audit entry is the new key.
   */
  enroll(codeHash: string, key: Omit<NewKey, 'consumerId' | 'scopes'>, now: number, audit: Omit<AuditContext, 'actor'>): Promise<EnrollmentOutcome>;
  /** A consumer's codes in creation order; an unreadable cursor is a SignetError invalid_request. */
  listCodes(query: EnrollmentCodeQuery): Promise<Page<EnrollmentCodeRecord>>;
  /**
   * Cancels a code that is not used (pending or expired) and writes enrollment_code.cancel in the
   * same transaction. Atomic against enroll: of a racing enrollment and cancellation one wins.
   */
  cancelCode(id: string, now: number, audit: AuditContext): Promise<CancelOutcome>;
}

/**
 * Counters for rate limits, shared by every instance that uses the same store (memory now; Redis
 * for several instances). The window arithmetic is the caller's: it puts the window in the key, so
 * the expiry only frees memory and never decides a limit.
 */
export interface RateLimitStore {
  /** Adds `delta` (negative to give back) to the counter and returns its new value, atomically. A new counter expires at `expiresAtMs`. */
  add(key: string, delta: number, expiresAtMs: number): Promise<number>;
  /** The counter's value; 0 when it does not exist. A store in this process's memory answers without a promise. */
  get(key: string): number | Promise<number>;
}

export type UsageGranularity = 'minute' | 'hour' | 'day';

/** One roll-up row: the requests of one bucket with the same consumer, key, mode, format, method, route and status. */
export interface UsageRollup {
  granularity: UsageGranularity;
  bucketStart: number;
  consumerId: string;
  keyId: string;
  mode: string;
  /** The request format: `jws` or `rfc9421` (Web Bot Auth agents sign in RFC 9421). */
  format: string;
  method: string;
  /** The router's route template (/v1/keys/:kid), never the raw URL. */
  route: string;
  status: number;
  requests: number;
  latencyMsSum: number;
  latencyMsMax: number;
  bytesIn: number;
  bytesOut: number;
}

export type UsageDimension = 'consumer' | 'key' | 'route' | 'status_class';

export interface UsageQuery {
  granularity: UsageGranularity;
  /** Buckets starting at or after `from` and before `to` (epoch ms). */
  from: number;
  to: number;
  consumerId?: string;
  keyId?: string;
  route?: string;
  /** 2 for 2xx, 4 for 4xx... */
  statusClass?: number;
  groupBy?: UsageDimension;
}

export interface UsageTotals {
  requests: number;
  latencyMsSum: number;
  latencyMsMax: number;
  bytesIn: number;
  bytesOut: number;
}

export interface UsageSeries {
  /** Per bucket, status class and request format; buckets without requests are absent. */
  buckets: Array<UsageTotals & { bucketStart: number; statusClass: number; format: string }>;
  /** Per value of the groupBy dimension, most requests first (at most 100); empty without groupBy. */
  groups: Array<UsageTotals & { value: string }>;
}

/** Usage roll-ups (knex: SQLite or PostgreSQL). */
export interface UsageStore {
  /**
   * Adds the rows to the stored roll-ups (summing into rows with the same key) and deletes rows
   * older than `deleteBefore` for each granularity given, all in one transaction.
   */
  write(rows: readonly UsageRollup[], deleteBefore?: Partial<Record<UsageGranularity, number>>): Promise<void>;
  query(query: UsageQuery): Promise<UsageSeries>;
}

/** One HMAC secret as stored: AES-256-GCM output, never the secret itself (docs/modes.md). */
export interface SealedSecret {
  /** Which master key encrypted it. */
  masterKeyVersion: number;
  /** 1 at creation, +1 at every re-encryption; bound into the additional data. */
  recordVersion: number;
  /** 12 random bytes. */
  iv: Uint8Array;
  /** Ciphertext with the 16-byte GCM tag appended. */
  ciphertext: Uint8Array;
}

export interface SealedSecretRecord extends SealedSecret {
  keyId: string;
  /** The owning consumer, read from the key (never from the secret's own row), for the additional data. */
  consumerId: string;
}

export interface KeyTypeQuery {
  type: KeyType;
  /** Only keys that are not revoked (they may still be expired). */
  unrevoked?: boolean;
  cursor?: string;
  limit: number;
}

/** One secret sealed anew, for HmacSecretStore.reencrypt. */
export interface SecretReplacement {
  keyId: string;
  /** The record version read: the row is replaced only if it still has it. */
  expectedRecordVersion: number;
  /** The master key version that sealed the row read (for the audit entry). */
  fromMasterKeyVersion: number;
  sealed: SealedSecret;
}

/** A master key version added to a keyring: numbers only, never the key. */
export interface MasterKeyAddition {
  version: number;
  /** Every version in the keyring afterwards. */
  keyringVersions: number[];
}

/** The encrypted secrets of HMAC keys (knex: SQLite or PostgreSQL). */
export interface HmacSecretStore {
  /** Inserts the HMAC key and its sealed secret, with the key.create audit entry, in one transaction. */
  createHmacKey(key: NewKey, sealed: SealedSecret, now: number, audit?: AuditContext): Promise<KeyRecord>;
  find(keyId: string): Promise<SealedSecretRecord | undefined>;
  /** Secrets in key id order after `afterKeyId`, for re-encryption in batches. */
  list(afterKeyId: string | null, limit: number): Promise<SealedSecretRecord[]>;
  /**
   * Replaces each sealed secret whose record version is still the expected one (one statement a
   * row, so a reader sees the old row or the new one) and writes one master_key.reencrypt audit
   * entry naming the rows replaced, all in one transaction: rows and entry commit or roll back
   * together. Returns the key ids replaced; when none is, nothing is written.
   */
  reencrypt(replacements: readonly SecretReplacement[], now: number, audit: AuditContext): Promise<string[]>;
  /**
   * Writes the master_key.add audit entry in a transaction around `persist`, which stores the new
   * master key where the servers read it: the entry commits only if `persist` returned.
   */
  recordMasterKeyAdded(added: MasterKeyAddition, persist: () => void, now: number, audit: AuditContext): Promise<void>;
  /** How many secrets each master key version encrypts. */
  countByMasterKeyVersion(): Promise<Map<number, number>>;
  /** Keys of one type across all consumers, in creation order (the admin's HMAC report). */
  listKeysOfType(query: KeyTypeQuery): Promise<Page<KeyWithConsumer>>;
}

/**
 * A change after which cached state must be dropped: one key, every key of one consumer, or
 * everything (when events may have been missed).
 */
export type InvalidationEvent = { kind: 'key'; id: string } | { kind: 'consumer'; id: string } | { kind: 'all' };

export interface EventSubscriber {
  /** An event another member published. */
  onEvent(event: InvalidationEvent): void;
  /**
   * The bus cannot deliver events for now (true), or can again (false). Events published in
   * between are lost, so a member drops its caches at both edges and caches briefly in between.
   */
  onDeaf?(deaf: boolean): void;
}

export interface BusMember {
  /** Tells every other member; resolves once the bus has taken the event (memory: delivered). */
  publish(event: InvalidationEvent): Promise<void>;
  /** True while events from others may be missed. */
  readonly deaf: boolean;
  leave(): void;
}

/**
 * Spreads invalidations between the instances of one deployment (memory: the apps of one process;
 * Redis pub/sub: every instance sharing the Redis and key prefix).
 */
export interface EventBus {
  join(subscriber: EventSubscriber): BusMember;
}

/** Shared fast state (Redis) when configured: for /readyz. */
export interface SharedStateHealth {
  /** Resolves when every connection to it answers; rejects otherwise. */
  ping(): Promise<void>;
}
