import { publicKeyToJwk } from '../protocol/public-key.js';
import { enrollmentCodeState } from '../store/enrollment-code-state.js';
import type { AuditEntry, ConsumerRecord, EnrollmentCodeRecord, KeyRecord } from '../store/types.js';

/** JSON shapes of the admin and self-service API (docs/api.md). Times are RFC 3339 strings. */

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export type KeyStatus = 'active' | 'revoked' | 'expired' | 'not_yet_valid';

export function keyStatus(key: KeyRecord, nowMs: number): KeyStatus {
  if (key.revokedAt !== null && key.revokedAt <= nowMs) return 'revoked';
  if (key.expiresAt !== null && key.expiresAt <= nowMs) return 'expired';
  if (key.notBefore !== null && key.notBefore > nowMs) return 'not_yet_valid';
  return 'active';
}

export function consumerView(consumer: ConsumerRecord) {
  return {
    id: consumer.id,
    name: consumer.name,
    status: consumer.status,
    plan: consumer.plan,
    rate_limits: consumer.rateLimitOverrides,
    metadata: consumer.metadata,
    allowed_modes: consumer.allowedModes,
    key_directory: consumer.keyDirectory ?? null,
    created_at: iso(consumer.createdAt),
    updated_at: iso(consumer.updatedAt),
  };
}

export function keyView(key: KeyRecord, nowMs: number) {
  return {
    id: key.id,
    consumer_id: key.consumerId,
    type: key.type,
    status: keyStatus(key, nowMs),
    thumbprint: key.thumbprint,
    public_key: key.publicKey === null ? null : publicKeyToJwk(key.publicKey),
    label: key.label,
    scopes: key.scopes,
    not_before: iso(key.notBefore),
    expires_at: iso(key.expiresAt),
    revoked_at: iso(key.revokedAt),
    last_used_at: iso(key.lastUsedAt),
    created_at: iso(key.createdAt),
  };
}

/** Never the code itself: the store keeps only its hash. `state` is computed at `nowMs`. */
export function enrollmentCodeView(code: EnrollmentCodeRecord, nowMs: number) {
  return {
    id: code.id,
    consumer_id: code.consumerId,
    state: enrollmentCodeState(code, nowMs),
    scopes: code.scopes,
    created_by: code.createdBy,
    created_at: iso(code.createdAt),
    expires_at: iso(code.expiresAt),
    used_at: iso(code.usedAt),
    used_key_id: code.usedKeyId,
    cancelled_at: iso(code.cancelledAt),
  };
}

export function auditView(entry: AuditEntry) {
  return {
    id: entry.id,
    at: iso(entry.at),
    actor: entry.actor,
    action: entry.action,
    target: { type: entry.targetType, id: entry.targetId },
    consumer_id: entry.consumerId,
    request_id: entry.requestId,
    source_ip: entry.sourceIp,
    before: entry.before,
    after: entry.after,
  };
}
