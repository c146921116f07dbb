import { createPublicKey, type KeyObject } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Clock } from '../clock.js';
import { encodeBase64url } from '../protocol/base64url.js';
import { SignetError } from '../protocol/errors.js';
import { DIRECTORY_KEY_ID_PATTERN, ISSUED_KEY_ID_PATTERN } from '../protocol/ids.js';
import type { FindDirectoryKey } from './consumer-directory-keys.js';
import type { ConsumerRecord, CredentialStore, InvalidationEvent, KeyRecord, KeyWithConsumer } from '../store/types.js';

export interface ResolvedKey {
  key: KeyRecord;
  consumer: ConsumerRecord;
  /** Ready-to-use verification key, imported once per cache fill. */
  keyObject: KeyObject | null;
  /**
   * An HMAC key's secret, decrypted once per cache fill (docs/modes.md). This cache is the only
   * place a plaintext secret lives; it is never written anywhere.
   */
  hmacSecret?: Uint8Array;
}

export interface KeyCacheOptions {
  store: CredentialStore;
  clock: Clock;
  size: number;
  ttlMs: number;
  negativeTtlMs: number;
  /** Decrypts an HMAC key's secret on a cache fill; without it HMAC keys resolve without a secret. */
  openHmacSecret?: (found: KeyWithConsumer) => Promise<Uint8Array | undefined>;
  /** Keys of consumers' own key directories (`con_..._<kid>`); without it such ids resolve to nothing. */
  findDirectoryKey?: FindDirectoryKey;
  /**
   * Told how long each read of the store took, in seconds, waiting for a connection included (the
   * signet_key_store_read_seconds histogram): what a first lookup costs, as a cache hit costs nothing.
   */
  onStoreRead?: (seconds: number, found: boolean) => void;
}

/**
 * While this instance may be missing other instances' invalidations (event bus disconnected),
 * entries live at most this long: a revocation elsewhere still takes effect here within a second.
 */
export const DEAF_TTL_MS = 1_000;

interface Entry {
  value: ResolvedKey | undefined;
  expiresAt: number;
}

/**
 * Keys ready for verification, so the hot path neither reads the database nor re-imports a key.
 * Unknown ids are remembered too (negative cache), ids that cannot have been issued never reach the
 * database, and concurrent misses for one id share a single read. A generation counter per id
 * stops a read that started before an invalidation from putting stale state back.
 */
export class KeyCache {
  private readonly entries = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<ResolvedKey | undefined>>();
  /** Generation of the last invalidation per id, kept only while a read of that id is running. */
  private readonly generations = new Map<string, number>();
  /** Reads running per id (an invalidated read keeps running after a newer one started). */
  private readonly loading = new Map<string, number>();
  private generation = 0;
  private deaf = false;
  private invalidationListener: ((event: InvalidationEvent) => void) | undefined;

  constructor(private readonly options: KeyCacheOptions) {}

  /**
   * The key if it is cached and fresh, read synchronously (no promise for the common case); otherwise
   * undefined, and the caller goes through resolve.
   */
  cached(kid: string): ResolvedKey | undefined {
    const hit = this.entries.get(kid);
    return hit !== undefined && hit.expiresAt > this.options.clock.now() ? hit.value : undefined;
  }

  async resolve(kid: string): Promise<ResolvedKey | undefined> {
    if (!ISSUED_KEY_ID_PATTERN.test(kid) && (this.options.findDirectoryKey === undefined || !DIRECTORY_KEY_ID_PATTERN.test(kid))) return undefined;
    const now = this.options.clock.now();
    const hit = this.entries.get(kid);
    if (hit !== undefined && hit.expiresAt > now) return hit.value;
    const pending = this.inFlight.get(kid);
    if (pending !== undefined) return pending;
    const load: Promise<ResolvedKey | undefined> = this.load(kid, now).finally(() => {
      // An invalidation may have replaced this read with a newer one: leave that one in place.
      if (this.inFlight.get(kid) === load) this.inFlight.delete(kid);
    });
    this.inFlight.set(kid, load);
    return load;
  }

  /**
   * `listener` is told of every invalidation made through invalidate, invalidateConsumer and
   * clear, to spread it to the other instances (src/server/cache-events.ts); not of `apply`.
   */
  onInvalidate(listener: (event: InvalidationEvent) => void): void {
    this.invalidationListener = listener;
  }

  /** Drops one key at once (revocation, key change) so the very next request reads it afresh. */
  invalidate(kid: string): void {
    this.dropKey(kid);
    this.invalidationListener?.({ kind: 'key', id: kid });
  }

  /** Drops every cached key of a consumer (disablement, deletion). */
  invalidateConsumer(consumerId: string): void {
    this.dropConsumer(consumerId);
    this.invalidationListener?.({ kind: 'consumer', id: consumerId });
  }

  clear(): void {
    this.dropAll();
    this.invalidationListener?.({ kind: 'all' });
  }

  /**
   * Applies an invalidation made by another instance. It goes through the same generation counter
   * as a local one, so a fill that read the database before the change cannot put stale state back.
   */
  apply(event: InvalidationEvent): void {
    if (event.kind === 'key') this.dropKey(event.id);
    else if (event.kind === 'consumer') this.dropConsumer(event.id);
    else this.dropAll();
  }

  /**
   * Entering or leaving a time in which other instances' invalidations may be lost: everything
   * cached is dropped at both edges, and in between entries live at most DEAF_TTL_MS.
   */
  setDeaf(deaf: boolean): void {
    this.deaf = deaf;
    this.dropAll();
  }

  private dropKey(kid: string): void {
    this.entries.delete(kid);
    this.inFlight.delete(kid);
    this.generation++;
    // Only a read already running can be stale; a later one starts from the new generation.
    if (this.loading.has(kid)) this.generations.set(kid, this.generation);
  }

  private dropConsumer(consumerId: string): void {
    // A directory key id names its consumer: its entry goes even when it is a remembered miss.
    const directoryPrefix = `${consumerId}_`;
    for (const [kid, entry] of this.entries) {
      if (entry.value?.consumer.id === consumerId || kid.startsWith(directoryPrefix)) this.dropKey(kid);
    }
    // A fill in flight may belong to this consumer; its generation check below discards it.
    for (const kid of this.inFlight.keys()) this.dropKey(kid);
  }

  private dropAll(): void {
    for (const kid of [...this.entries.keys(), ...this.inFlight.keys()]) this.dropKey(kid);
  }

  private async load(kid: string, now: number): Promise<ResolvedKey | undefined> {
    const startedAt = this.generation;
    this.loading.set(kid, (this.loading.get(kid) ?? 0) + 1);
    try {
      let found: KeyWithConsumer | undefined;
      let cacheUntil: number | undefined;
      if (ISSUED_KEY_ID_PATTERN.test(kid)) {
        const started = this.options.onStoreRead === undefined ? 0 : performance.now();
        found = await this.options.store.findKey(kid);
        this.options.onStoreRead?.((performance.now() - started) / 1000, found !== undefined);
      } else ({ found, cacheUntil } = (await this.options.findDirectoryKey!(kid)) ?? { found: undefined, cacheUntil: undefined });
      const value: ResolvedKey | undefined = found === undefined ? undefined : { ...found, keyObject: importKeyObject(found.key), ...(await this.openSecret(found)) };
      if ((this.generations.get(kid) ?? 0) <= startedAt) this.store(kid, value, now, cacheUntil);
      return value;
    } finally {
      const running = this.loading.get(kid)! - 1;
      if (running > 0) this.loading.set(kid, running);
      else {
        this.loading.delete(kid);
        this.generations.delete(kid);
      }
    }
  }

  private async openSecret(found: KeyWithConsumer): Promise<Pick<ResolvedKey, 'hmacSecret'>> {
    if (found.key.type !== 'hmac' || this.options.openHmacSecret === undefined) return {};
    const secret = await this.options.openHmacSecret(found);
    return secret === undefined ? {} : { hmacSecret: secret };
  }

  private store(kid: string, value: ResolvedKey | undefined, now: number, cacheUntil = Infinity): void {
    // A refill replaces its own entry (moved to the back of the eviction order) and evicts nothing else.
    this.entries.delete(kid);
    if (this.entries.size >= this.options.size) {
      // Insertion order makes the first key the oldest fill: evict it.
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
    const ttl = value === undefined ? this.options.negativeTtlMs : this.options.ttlMs;
    this.entries.set(kid, { value, expiresAt: Math.min(cacheUntil, now + (this.deaf ? Math.min(ttl, DEAF_TTL_MS) : ttl)) });
  }
}

function importKeyObject(key: KeyRecord): KeyObject | null {
  if (key.type !== 'ed25519' || key.publicKey === null) return null;
  try {
    return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: encodeBase64url(key.publicKey) }, format: 'jwk' });
  } catch (error) {
    // Only acceptable keys are ever stored: one that does not import is damaged data, the server's fault.
    throw new SignetError('internal_error', { privateDetail: `stored public key of ${key.id} does not import: ${(error as Error).message}`, cause: error });
  }
}
