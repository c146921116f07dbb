import type { KeyRecord } from '../store/types.js';

/**
 * A key read from a key directory (a consumer's own, or a Web Bot Auth agent's), as the verifier,
 * rate limiter and usage log see an uploaded one: no row behind it, so no validity window, no
 * revocation time (dropping it from the directory is how it ends) and no last use.
 */
export function directoryKeyRecord(key: { id: string; consumerId: string; publicKey: Uint8Array; thumbprint: string; label: string; scopes: readonly string[] }): KeyRecord {
  return {
    id: key.id,
    consumerId: key.consumerId,
    type: 'ed25519',
    publicKey: key.publicKey,
    thumbprint: key.thumbprint,
    label: key.label,
    scopes: [...key.scopes],
    notBefore: null,
    expiresAt: null,
    revokedAt: null,
    lastUsedAt: null,
    createdAt: 0,
  };
}
