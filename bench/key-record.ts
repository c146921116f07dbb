import type { KeyType } from '../src/protocol/format.js';
import type { KeyRecord } from '../src/store/types.js';

/** A stored key as the verifier's key cache sees it, for benchmarks that feed the verifier directly. */
export function benchKeyRecord(id: string, consumerId: string, type: KeyType, publicKey: Uint8Array | null): KeyRecord {
  return { id, consumerId, type, publicKey, thumbprint: null, label: '', scopes: [], notBefore: null, expiresAt: null, revokedAt: null, lastUsedAt: null, createdAt: 0 };
}
