import type { Knex } from 'knex';
import { SignetError } from '../protocol/errors.js';
import type { Row } from './knex-rows.js';
import type { AuditContext, AuditEntry, AuditQuery, AuditStore, AuditTargetType, ConsumerRecord, KeyRecord, Page } from './types.js';

export interface NewAuditEntry {
  action: string;
  targetType: AuditTargetType;
  targetId: string;
  consumerId: string | null;
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
}

/** Appends entries inside the caller's transaction, so the entry commits or rolls back with the change. */
export async function appendAudit(trx: Knex.Transaction, context: AuditContext, now: number, entries: NewAuditEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await trx('audit_log').insert(
    entries.map((entry) => ({
      at: now,
      actor: context.actor,
      action: entry.action,
      target_type: entry.targetType,
      target_id: entry.targetId,
      consumer_id: entry.consumerId,
      request_id: context.requestId ?? null,
      source_ip: context.sourceIp ?? null,
      before: entry.before == null ? null : JSON.stringify(entry.before),
      after: entry.after == null ? null : JSON.stringify(entry.after),
    })),
  );
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** What the audit log keeps of a consumer. */
export function consumerSummary(consumer: ConsumerRecord): Record<string, unknown> {
  return {
    name: consumer.name,
    status: consumer.status,
    plan: consumer.plan,
    ...(consumer.rateLimitOverrides !== null ? { rate_limits: consumer.rateLimitOverrides } : {}),
    metadata: consumer.metadata,
    allowed_modes: consumer.allowedModes,
    ...(consumer.keyDirectory != null ? { key_directory: consumer.keyDirectory } : {}),
  };
}

/** What the audit log keeps of a key: its thumbprint identifies it; the key bytes are never written. */
export function keySummary(key: KeyRecord): Record<string, unknown> {
  return {
    type: key.type,
    thumbprint: key.thumbprint,
    label: key.label,
    scopes: key.scopes,
    not_before: iso(key.notBefore),
    expires_at: iso(key.expiresAt),
    revoked_at: iso(key.revokedAt),
  };
}

function toEntry(row: Row): AuditEntry {
  const json = (value: unknown) => (value === null || value === undefined ? null : (JSON.parse(String(value)) as Record<string, unknown>));
  const text = (value: unknown) => (value === null || value === undefined ? null : String(value));
  return {
    id: Number(row.id),
    at: Number(row.at),
    actor: String(row.actor),
    action: String(row.action),
    targetType: row.target_type as AuditTargetType,
    targetId: String(row.target_id),
    consumerId: text(row.consumer_id),
    requestId: text(row.request_id),
    sourceIp: text(row.source_ip),
    before: json(row.before),
    after: json(row.after),
  };
}

export class KnexAuditStore implements AuditStore {
  constructor(private readonly db: Knex) {}

  async list(query: AuditQuery): Promise<Page<AuditEntry>> {
    const q = this.db('audit_log')
      .orderBy('id', 'desc')
      .limit(query.limit + 1);
    if (query.since !== undefined) q.where('at', '>=', query.since);
    if (query.until !== undefined) q.where('at', '<', query.until);
    if (query.consumerId !== undefined) q.where('consumer_id', query.consumerId);
    if (query.actor !== undefined) q.where('actor', query.actor);
    if (query.action !== undefined) q.where('action', query.action);
    if (query.targetId !== undefined) q.where('target_id', query.targetId);
    if (query.cursor !== undefined) {
      if (!/^[1-9]\d{0,15}$/.test(query.cursor)) {
        throw new SignetError('invalid_request', { detail: 'The cursor is not one this server returned.', extra: { errors: [{ path: 'cursor', message: 'Unreadable cursor.' }] } });
      }
      q.where('id', '<', Number(query.cursor));
    }
    const rows = (await q) as Row[];
    const items = rows.slice(0, query.limit).map(toEntry);
    return { items, nextCursor: rows.length > query.limit ? String(items[items.length - 1]!.id) : null };
  }
}
