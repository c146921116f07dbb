import type { Clock } from '../../clock.js';
import { SignetError } from '../../protocol/errors.js';
import { isDuplicateKey } from '../../store/store-error.js';
import type {
  AuditContext,
  CancelOutcome,
  ConsumerPatch,
  ConsumerRecord,
  ConsumerStatus,
  CredentialStore,
  EnrollmentCodeRecord,
  EnrollmentOutcome,
  EnrollmentStore,
  InvalidationEvent,
  KeyDirectoryChange,
  KeyDirectoryRegistration,
  KeyRecord,
  KeyRotation,
  KeyWithConsumer,
  NewConsumer,
  NewEnrollmentCode,
  NewKey,
} from '../../store/types.js';
import type { IssuedHmacKey, NewHmacKey } from '../secrets/hmac-keys.js';

/**
 * Where a credential change must be made known: this instance's key cache (which tells the other
 * instances through the event bus) or, in a CLI process without a cache, the event bus itself.
 * The returned promise settles once the change has been handed on.
 */
export interface CredentialInvalidation {
  invalidate(event: InvalidationEvent): void | Promise<void>;
}

/** Issues HMAC keys (src/server/secrets/hmac-keys.ts); optional for callers that never issue one. */
interface HmacKeyIssuer {
  issue(consumer: ConsumerRecord, input: NewHmacKey, now: number, audit: AuditContext): Promise<IssuedHmacKey>;
}

export interface CredentialServiceDeps {
  credentials: CredentialStore;
  enrollment: EnrollmentStore;
  clock: Clock;
  invalidation: CredentialInvalidation;
  hmacKeys?: HmacKeyIssuer;
}

/** Who changes a fetched key set in the audit log: the directory's publisher, seen by this server's fetch. */
const KEY_DIRECTORY_ACTOR: AuditContext = Object.freeze({ actor: 'key-directory-fetch' });

/** The public sentence for an upload of a key that is registered already. */
const DUPLICATE_KEY_DETAIL = 'This public key is already registered. Generate a new key pair for every upload.';

/**
 * The one owner of consumer and key state changes. Every change goes through here: the store
 * writes it with its audit entry in one transaction, then the cached copies are invalidated here
 * and on the other instances. Routes and CLI commands call this and never touch a cache, so no
 * caller can forget the invalidation that stops a revoked key from working.
 */
export class CredentialService {
  constructor(private readonly deps: CredentialServiceDeps) {}

  async createConsumer(consumer: NewConsumer, audit: AuditContext): Promise<ConsumerRecord> {
    return this.deps.credentials.createConsumer(consumer, this.deps.clock.now(), audit);
  }

  /** A consumer and its first key in one transaction; a duplicate public key is 409 conflict. */
  async createConsumerWithKey(consumer: NewConsumer, key: NewKey, audit: AuditContext): Promise<KeyWithConsumer> {
    const created = await refuseDuplicate(() => this.deps.credentials.createConsumerWithKey(consumer, key, this.deps.clock.now(), audit));
    // A request with this kid may have been refused (and remembered as unknown) before it existed.
    await this.tell({ kind: 'key', id: created.key.id });
    return created;
  }

  /** Undefined when there is no such consumer. Plan, modes and status are read with the key: cached copies go. */
  async updateConsumer(id: string, patch: ConsumerPatch, audit: AuditContext): Promise<ConsumerRecord | undefined> {
    const updated = await this.deps.credentials.updateConsumer(id, patch, this.deps.clock.now(), audit);
    if (updated !== undefined) await this.tell({ kind: 'consumer', id });
    return updated;
  }

  /** False when there is no such consumer. */
  async setConsumerStatus(id: string, status: ConsumerStatus, audit: AuditContext): Promise<boolean> {
    const found = await this.deps.credentials.setConsumerStatus(id, status, this.deps.clock.now(), audit);
    if (found) await this.tell({ kind: 'consumer', id });
    return found;
  }

  /** False when there is no such consumer. */
  async deleteConsumer(id: string, audit: AuditContext): Promise<boolean> {
    const found = await this.deps.credentials.deleteConsumer(id, this.deps.clock.now(), audit);
    if (found) await this.tell({ kind: 'consumer', id });
    return found;
  }

  /** A duplicate public key is 409 conflict. */
  async insertKey(key: NewKey, audit: AuditContext): Promise<KeyRecord> {
    const inserted = await refuseDuplicate(() => this.deps.credentials.insertKey(key, this.deps.clock.now(), audit));
    await this.tell({ kind: 'key', id: inserted.id });
    return inserted;
  }

  /** Undefined when the previous key does not exist; a duplicate public key is 409 conflict. */
  async rotateKey(previousId: string, key: NewKey, previousExpiresAt: number, audit: AuditContext): Promise<KeyRotation | undefined> {
    const rotation = await refuseDuplicate(() => this.deps.credentials.rotateKey(previousId, key, previousExpiresAt, this.deps.clock.now(), audit));
    if (rotation !== undefined) {
      await this.tell({ kind: 'key', id: previousId });
      await this.tell({ kind: 'key', id: rotation.key.id });
    }
    return rotation;
  }

  /** False when the key does not exist or was revoked already. Either way no cached copy survives. */
  async revokeKey(id: string, audit: AuditContext): Promise<boolean> {
    const changed = await this.deps.credentials.revokeKey(id, this.deps.clock.now(), audit);
    await this.tell({ kind: 'key', id });
    return changed;
  }

  async issueHmacKey(consumer: ConsumerRecord, input: NewHmacKey, audit: AuditContext): Promise<IssuedHmacKey> {
    if (this.deps.hmacKeys === undefined) throw new SignetError('internal_error', { privateDetail: 'CredentialService built without an HMAC key issuer' });
    const issued = await this.deps.hmacKeys.issue(consumer, input, this.deps.clock.now(), audit);
    await this.tell({ kind: 'key', id: issued.key.id });
    return issued;
  }

  /**
   * Sets or (null) clears the consumer's key directory; undefined when the consumer does not exist.
   * Its directory keys are cached with the consumer, so every cached copy goes at once: a cleared
   * directory stops its keys from the next request on, here and on the other instances.
   */
  async setKeyDirectory(id: string, registration: KeyDirectoryRegistration | null, audit: AuditContext): Promise<ConsumerRecord | undefined> {
    const updated = await this.deps.credentials.setKeyDirectory(id, registration, this.deps.clock.now(), audit);
    if (updated !== undefined) await this.tell({ kind: 'consumer', id });
    return updated;
  }

  /**
   * A fetched key directory differed from the last good set: audited only. Nothing cached needs to
   * go, since cached directory keys live no longer than the directory's own freshness.
   */
  async recordKeyDirectoryChange(change: KeyDirectoryChange): Promise<void> {
    await this.deps.credentials.recordKeyDirectoryChange(change, this.deps.clock.now(), KEY_DIRECTORY_ACTOR);
  }

  /** Undefined when the consumer does not exist. */
  async createEnrollmentCode(code: NewEnrollmentCode, audit: AuditContext): Promise<EnrollmentCodeRecord | undefined> {
    return this.deps.enrollment.createCode(code, this.deps.clock.now(), audit);
  }

  async cancelEnrollmentCode(id: string, audit: AuditContext): Promise<CancelOutcome> {
    return this.deps.enrollment.cancelCode(id, this.deps.clock.now(), audit);
  }

  /** Consumes the code and registers the key; a duplicate public key is 409 conflict. */
  async enroll(codeHash: string, key: Omit<NewKey, 'consumerId' | 'scopes'>, audit: Omit<AuditContext, 'actor'>): Promise<EnrollmentOutcome> {
    const outcome = await refuseDuplicate(() => this.deps.enrollment.enroll(codeHash, key, this.deps.clock.now(), audit));
    if (outcome.ok) await this.tell({ kind: 'key', id: outcome.enrolled.key.id });
    return outcome;
  }

  private async tell(event: InvalidationEvent): Promise<void> {
    await this.deps.invalidation.invalidate(event);
  }
}

async function refuseDuplicate<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (isDuplicateKey(error)) throw new SignetError('conflict', { detail: DUPLICATE_KEY_DETAIL, cause: error });
    throw error;
  }
}
