import { hash, randomBytes } from 'node:crypto';
import { SignetError } from '../protocol/errors.js';
import type { Clock } from '../clock.js';
import { FingerprintSet } from './fingerprint-set.js';
import type { ReplayStore, ReplayVerdict } from './types.js';

export interface MemoryReplayStoreOptions {
  clock: Clock;
  /** Most live entries held at once; beyond it new tokens are refused, never old ones forgotten. */
  capacity: number;
  /** Width of one expiry bucket; entries live at most this much longer than asked. */
  bucketMs?: number;
}

/**
 * Single-process replay store. Entries are grouped into buckets by expiry time and a whole bucket
 * is dropped once its time has passed: no timer and no bookkeeping per entry. Each entry is a
 * 64-bit keyed fingerprint of (kid, jti); the key is random per process, so nobody can aim for a
 * collision. Check-and-set is synchronous, hence atomic in one process.
 */
export class MemoryReplayStore implements ReplayStore {
  private readonly buckets = new Map<number, FingerprintSet>();
  /** Hex, so it is a fixed-length prefix of the hashed text (kid and jti are ASCII by their patterns). */
  private readonly salt = randomBytes(16).toString('hex');
  private readonly bucketMs: number;
  private liveEntries = 0;

  constructor(private readonly options: MemoryReplayStoreOptions) {
    this.bucketMs = options.bucketMs ?? 10_000;
  }

  /**
   * `issuedAtMs` is unused: this history ends only with the process, and a restarted process does
   * not refuse older tokens (docs/deployment.md, failure modes, explains the window this leaves).
   */
  async checkAndSet(kid: string, jti: string, expiresAtMs: number, _issuedAtMs?: number): Promise<ReplayVerdict> {
    return this.checkAndSetSync(kid, jti, expiresAtMs);
  }

  checkAndSetSync(kid: string, jti: string, expiresAtMs: number): ReplayVerdict {
    this.dropExpired();
    // One-shot hash(): half the cost of a createHash() object fed in four updates.
    const digest = hash('sha256', `${this.salt}${kid}\0${jti}`, 'buffer');
    const hi = digest.readUInt32LE(0);
    const lo = (digest.readUInt32LE(4) | 1) >>> 0; // never (0, 0), and unsigned like the table
    for (const bucket of this.buckets.values()) if (bucket.has(hi, lo)) return 'replayed';
    if (this.liveEntries >= this.options.capacity) {
      throw new SignetError('replay_store_full', {
        detail: 'The server is holding as many one-time tokens as it can; retry in a few seconds.',
        privateDetail: `replay store at capacity ${this.options.capacity}`,
      });
    }
    const index = Math.floor(expiresAtMs / this.bucketMs);
    let bucket = this.buckets.get(index);
    if (bucket === undefined) {
      bucket = new FingerprintSet();
      this.buckets.set(index, bucket);
    }
    bucket.add(hi, lo);
    this.liveEntries++;
    return 'fresh';
  }

  size(): number {
    this.dropExpired();
    return this.liveEntries;
  }

  /** Bytes held by the fingerprint tables (for the memory benchmark). */
  bytes(): number {
    let total = 0;
    for (const bucket of this.buckets.values()) total += bucket.bytes;
    return total;
  }

  private dropExpired(): void {
    const current = Math.floor(this.options.clock.now() / this.bucketMs);
    for (const [index, bucket] of this.buckets) {
      // Bucket `index` holds expiries before (index + 1) * bucketMs, all past once current > index.
      if (index < current) {
        this.liveEntries -= bucket.size;
        this.buckets.delete(index);
      }
    }
  }
}
