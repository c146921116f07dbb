import { lookAlikeKey } from '../protocol/look-alike.js';
import type { Knex } from 'knex';
import { decodeCreationCursor, encodeCreationCursor } from './creation-cursor.js';
import { appendAudit, consumerSummary, keySummary } from './knex-audit.js';
import { BatchedLookup } from './batched-lookup.js';
import { consumerRow, insertKeyRow, KEY_WITH_CONSUMER_COLUMNS, keyDirectoryColumns, keyRow, toConsumer, toKey, type Row } from './knex-rows.js';
import { preparedPostgresRead } from './postgres-prepared-read.js';
import { preparedSqliteRead } from './sqlite-prepared-read.js';
import { syncSqliteRead, type SqliteSyncDriver, type SyncRead } from './sqlite-sync-read.js';
import {
  LOCAL_OPERATOR_CONTEXT,
  type AuditContext,
  type ConsumerPatch,
  type ConsumerQuery,
  type ConsumerRecord,
  type ConsumerStatus,
  type CredentialStore,
  type KeyDirectoryChange,
  type KeyDirectoryRegistration,
  type KeyRecord,
  type KeyRotation,
  type KeyWithConsumer,
  type NewConsumer,
  type NewKey,
  type Page,
} from './types.js';

function findKeyQuery(db: Knex, id: string): Knex.QueryBuilder {
  return db('keys').join('consumers', 'consumers.id', 'keys.consumer_id').where('keys.id', id).first(KEY_WITH_CONSUMER_COLUMNS);
}

/**
 * findKeyQuery for SQLite's synchronous read: the same row, found through the id index first and
 * then by rowid, and with no LIMIT (the id is the primary key: one row at most). Same result (keys
 * is a rowid table; an unknown id gives no row), but node:sqlite answers it in 13 to 14 µs at the
 * median instead of 29 to 30 µs for `keys.id = ?` joined to consumers, with or without LIMIT; the
 * rowid form with LIMIT is as slow as the join (100,000 keys, both forms interleaved in one process:
 * docs/performance.md, "Cold key lookups, fifth round"). SQLite only: PostgreSQL has no rowid.
 */
function findKeyByRowidQuery(db: Knex, id: string): Knex.QueryBuilder {
  return db('keys').join('consumers', 'consumers.id', 'keys.consumer_id').whereRaw('keys.rowid = (select rowid from keys where id = ?)', [id]).select(KEY_WITH_CONSUMER_COLUMNS);
}

/**
 * The keys among a JSON array of ids, with their consumers: one statement with one parameter for
 * any number of ids, so it can be prepared once (json_each on SQLite, jsonb on PostgreSQL).
 */
function findKeysQuery(db: Knex, idsJson: string): Knex.QueryBuilder {
  const ids = db.client.dialect === 'postgresql' ? 'keys.id = any(array(select jsonb_array_elements_text(?::jsonb)))' : 'keys.id in (select value from json_each(?))';
  return db('keys').join('consumers', 'consumers.id', 'keys.consumer_id').whereRaw(ids, [idsJson]).select(KEY_WITH_CONSUMER_COLUMNS);
}

/** Ids per batched key lookup; a burst larger than this leaves in several statements. */
const KEYS_PER_LOOKUP = 200;

function toKeyWithConsumer(row: Row): KeyWithConsumer {
  return { key: toKey(row), consumer: toConsumer(row, 'c_') };
}

function readNow(sync: SyncRead, id: string): { found: KeyWithConsumer | undefined } | undefined {
  const rows = sync(id);
  if (rows === undefined) return undefined;
  return { found: rows.length === 0 ? undefined : toKeyWithConsumer(rows[0]!) };
}

/**
 * Keys per last-use statement: two bound values each, far below SQLite's limit of 32,766. Large,
 * because on SQLite the synchronous key read waits while knex's connection runs any statement
 * (src/store/sqlite-sync-read.ts): fewer statements, fewer event-loop turns with that connection busy.
 */
export const LAST_USED_PER_STATEMENT = 2000;

export class KnexCredentialStore implements CredentialStore {
  /**
   * findKey (the verifier's cache-miss read) as a prepared statement on SQLite or PostgreSQL,
   * without knex's per-query cost, and concurrent lookups read together (BatchedLookup). Undefined
   * in a transaction, whose few reads keep knex's path on the connection it holds.
   */
  private readonly keyLookup: BatchedLookup<KeyWithConsumer> | undefined;

  constructor(
    private readonly db: Knex,
    options: { syncDriver?: SqliteSyncDriver } = {},
  ) {
    // With a synchronous driver on a SQLite file, a lookup is answered on the calling thread, in the
    // same turn of the event loop, whenever it can be; the batched asynchronous read takes the rest.
    const sync = options.syncDriver === undefined ? undefined : syncSqliteRead(options.syncDriver, db, (id) => findKeyByRowidQuery(db, id));
    const prepared = preparedSqliteRead(db, (ids) => findKeysQuery(db, ids), { sideConnection: true }) ?? preparedPostgresRead(db, 'signet_find_keys', (ids) => findKeysQuery(db, ids));
    if (prepared !== undefined) {
      const readMany = async (ids: string[]) => new Map((await prepared(JSON.stringify(ids))).map((row) => [row.id as string, toKeyWithConsumer(row)]));
      // SQLite has one connection: a second query would only queue for it. PostgreSQL's pool is
      // shared with every other query, so lookups take two of its connections at most.
      this.keyLookup = new BatchedLookup(readMany, {
        maxBatch: KEYS_PER_LOOKUP,
        maxInFlight: db.client.dialect === 'postgresql' ? 2 : 1,
        ...(sync !== undefined ? { readNow: (id: string) => readNow(sync, id) } : {}),
      });
    }
  }

  async createConsumerWithKey(consumer: NewConsumer, key: NewKey, now: number, audit: AuditContext = LOCAL_OPERATOR_CONTEXT): Promise<KeyWithConsumer> {
    return this.db.transaction(async (trx) => {
      const cRow = consumerRow(consumer, now);
      const kRow = keyRow({ ...key, consumerId: consumer.id }, now);
      await trx('consumers').insert(cRow);
      await insertKeyRow(trx, kRow);
      const created = { consumer: toConsumer(cRow), key: toKey(kRow) };
      await appendAudit(trx, audit, now, [
        { action: 'consumer.create', targetType: 'consumer', targetId: consumer.id, consumerId: consumer.id, after: consumerSummary(created.consumer) },
        { action: 'key.create', targetType: 'key', targetId: key.id, consumerId: consumer.id, after: keySummary(created.key) },
      ]);
      return created;
    });
  }

  async createConsumer(consumer: NewConsumer, now: number, audit: AuditContext = LOCAL_OPERATOR_CONTEXT): Promise<ConsumerRecord> {
    return this.db.transaction(async (trx) => {
      const row = consumerRow(consumer, now);
      await trx('consumers').insert(row);
      const created = toConsumer(row);
      await appendAudit(trx, audit, now, [{ action: 'consumer.create', targetType: 'consumer', targetId: created.id, consumerId: created.id, after: consumerSummary(created) }]);
      return created;
    });
  }

  async getConsumer(id: string): Promise<ConsumerRecord | undefined> {
    const row = await this.db('consumers').where({ id }).first();
    return row === undefined ? undefined : toConsumer(row);
  }

  async findLookAlikeConsumer(name: string, exceptId?: string): Promise<ConsumerRecord | undefined> {
    const q = this.db('consumers').where('name_key', lookAlikeKey(name)).orderBy('created_at').orderBy('id').first();
    if (exceptId !== undefined) q.whereNot('id', exceptId);
    const row = await q;
    return row === undefined ? undefined : toConsumer(row);
  }

  async listConsumers(query: ConsumerQuery): Promise<Page<ConsumerRecord>> {
    const q = this.db('consumers')
      .orderBy('created_at')
      .orderBy('id')
      .limit(query.limit + 1);
    if (query.status !== undefined) q.where('status', query.status);
    if (query.plan !== undefined) q.where('plan', query.plan);
    if (query.cursor !== undefined) {
      const [createdAt, id] = decodeCreationCursor(query.cursor);
      q.where((w) => w.where('created_at', '>', createdAt).orWhere((x) => x.where('created_at', createdAt).andWhere('id', '>', id)));
    }
    const rows = (await q) as Row[];
    const items = rows.slice(0, query.limit).map((row) => toConsumer(row));
    return { items, nextCursor: rows.length > query.limit ? encodeCreationCursor(items[items.length - 1]!) : null };
  }

  async updateConsumer(id: string, patch: ConsumerPatch, now: number, audit: AuditContext = LOCAL_OPERATOR_CONTEXT): Promise<ConsumerRecord | undefined> {
    return this.db.transaction(async (trx) => {
      const row = await trx('consumers').where({ id }).first();
      if (row === undefined) return undefined;
      const before = toConsumer(row);
      const changes: Row = { updated_at: now };
      if (patch.name !== undefined) {
        changes.name = patch.name;
        changes.name_key = lookAlikeKey(patch.name);
      }
      if (patch.plan !== undefined) changes.plan = patch.plan;
      if (patch.rateLimitOverrides !== undefined) changes.rate_limit_overrides = patch.rateLimitOverrides === null ? null : JSON.stringify(patch.rateLimitOverrides);
      if (patch.metadata !== undefined) changes.metadata = JSON.stringify(patch.metadata);
      if (patch.allowedModes !== undefined) changes.allowed_modes = JSON.stringify(patch.allowedModes);
      await trx('consumers').where({ id }).update(changes);
      const after = toConsumer({ ...row, ...changes });
      await appendAudit(trx, audit, now, [{ action: 'consumer.update', targetType: 'consumer', targetId: id, consumerId: id, before: consumerSummary(before), after: consumerSummary(after) }]);
      return after;
    });
  }

  async setConsumerStatus(id: string, status: ConsumerStatus, now: number, audit: AuditContext = LOCAL_OPERATOR_CONTEXT): Promise<boolean> {
    return this.db.transaction(async (trx) => {
      const row = await trx('consumers').where({ id }).first();
      if (row === undefined) return false;
      if (row.status === status) return true;
      await trx('consumers').where({ id }).update({ status, updated_at: now });
      await appendAudit(trx, audit, now, [
        {
          action: status === 'active' ? 'consumer.enable' : 'consumer.disable',
          targetType: 'consumer',
          targetId: id,
          consumerId: id,
          before: { status: row.status },
          after: { status },
        },
      ]);
      return true;
    });
  }

  async deleteConsumer(id: string, now: number, audit: AuditContext = LOCAL_OPERATOR_CONTEXT): Promise<boolean> {
    return this.db.transaction(async (trx) => {
      const row = await trx('consumers').where({ id }).first();
      if (row === undefined) return false;
      const keys = ((await trx('keys').where({ consumer_id: id }).select('thumbprint')) as Row[]).map((k) => k.thumbprint);
      // Delete children explicitly rather than rely on the foreign-key cascade being switched on.
      await trx('enrollment_codes').where({ consumer_id: id }).delete();
      await trx('hmac_secrets')
        .whereIn('key_id', trx('keys').select('id').where({ consumer_id: id }))
        .delete();
      await trx('keys').where({ consumer_id: id }).delete();
      await trx('consumers').where({ id }).delete();
      await appendAudit(trx, audit, now, [{ action: 'consumer.delete', targetType: 'consumer', targetId: id, consumerId: id, before: { ...consumerSummary(toConsumer(row)), key_thumbprints: keys } }]);
      return true;
    });
  }

  async insertKey(key: NewKey, now: number, audit: AuditContext = LOCAL_OPERATOR_CONTEXT): Promise<KeyRecord> {
    return this.db.transaction(async (trx) => {
      const row = keyRow(key, now);
      await insertKeyRow(trx, row);
      const created = toKey(row);
      await appendAudit(trx, audit, now, [{ action: 'key.create', targetType: 'key', targetId: key.id, consumerId: key.consumerId, after: keySummary(created) }]);
      return created;
    });
  }

  findKey(id: string): Promise<KeyWithConsumer | undefined> {
    // Not async: a lookup answered on the calling thread hands back an already-settled promise as is.
    if (this.keyLookup !== undefined) return this.keyLookup.find(id);
    return this.findKeyThroughKnex(id);
  }

  private async findKeyThroughKnex(id: string): Promise<KeyWithConsumer | undefined> {
    const row: Row | undefined = await findKeyQuery(this.db, id);
    return row === undefined ? undefined : toKeyWithConsumer(row);
  }

  async listKeys(consumerId: string): Promise<KeyRecord[]> {
    const rows = await this.db('keys').where({ consumer_id: consumerId }).orderBy('created_at').orderBy('id');
    return rows.map(toKey);
  }

  async revokeKey(id: string, now: number, audit: AuditContext = LOCAL_OPERATOR_CONTEXT): Promise<boolean> {
    return this.db.transaction(async (trx) => {
      const row = await trx('keys').where({ id }).whereNull('revoked_at').first();
      if (row === undefined) return false;
      await trx('keys').where({ id }).whereNull('revoked_at').update({ revoked_at: now });
      const before = toKey(row);
      await appendAudit(trx, audit, now, [
        { action: 'key.revoke', targetType: 'key', targetId: id, consumerId: before.consumerId, before: keySummary(before), after: keySummary({ ...before, revokedAt: now }) },
      ]);
      return true;
    });
  }

  async rotateKey(previousId: string, key: NewKey, previousExpiresAt: number, now: number, audit: AuditContext = LOCAL_OPERATOR_CONTEXT): Promise<KeyRotation | undefined> {
    return this.db.transaction(async (trx) => {
      const row = await trx('keys').where({ id: previousId }).first();
      if (row === undefined) return undefined;
      const before = toKey(row);
      const expiresAt = before.expiresAt === null ? previousExpiresAt : Math.min(before.expiresAt, previousExpiresAt);
      const newRow = keyRow({ ...key, consumerId: before.consumerId }, now);
      await insertKeyRow(trx, newRow);
      await trx('keys').where({ id: previousId }).update({ expires_at: expiresAt });
      const rotation = { previous: { ...before, expiresAt }, key: toKey(newRow) };
      await appendAudit(trx, audit, now, [
        { action: 'key.create', targetType: 'key', targetId: key.id, consumerId: before.consumerId, after: { ...keySummary(rotation.key), replaces: previousId } },
        {
          action: 'key.rotate',
          targetType: 'key',
          targetId: previousId,
          consumerId: before.consumerId,
          before: keySummary(before),
          after: { ...keySummary(rotation.previous), replaced_by: key.id },
        },
      ]);
      return rotation;
    });
  }

  async setKeyDirectory(id: string, registration: KeyDirectoryRegistration | null, now: number, audit: AuditContext = LOCAL_OPERATOR_CONTEXT): Promise<ConsumerRecord | undefined> {
    return this.db.transaction(async (trx) => {
      const row = await trx('consumers').where({ id }).first();
      if (row === undefined) return undefined;
      const before = toConsumer(row).keyDirectory ?? null;
      const changes: Row = { ...keyDirectoryColumns(registration), updated_at: now };
      await trx('consumers').where({ id }).update(changes);
      await appendAudit(trx, audit, now, [
        {
          action: registration === null ? 'key_directory.clear' : 'key_directory.set',
          targetType: 'consumer',
          targetId: id,
          consumerId: id,
          before: { key_directory: before },
          after: { key_directory: registration },
        },
      ]);
      return toConsumer({ ...row, ...changes });
    });
  }

  async recordKeyDirectoryChange(change: KeyDirectoryChange, now: number, audit: AuditContext): Promise<void> {
    await this.db.transaction(async (trx) => {
      await appendAudit(trx, audit, now, [
        { action: 'key_directory.change', targetType: 'key_directory', targetId: change.url, consumerId: null, after: { added: change.added, removed: change.removed, refused: change.refused } },
      ]);
    });
  }

  async recordLastUsed(lastUsed: ReadonlyMap<string, number>): Promise<void> {
    const entries = [...lastUsed];
    // A few hundred keys a statement, each statement on its own: on SQLite's single connection a
    // key lookup waits for at most one short statement, not for a transaction over every key used
    // in the interval (thousands after a burst of new keys, which held the lookups for seconds).
    for (let i = 0; i < entries.length; i += LAST_USED_PER_STATEMENT) {
      const chunk = entries.slice(i, i + LAST_USED_PER_STATEMENT);
      // Both dialects run this UPDATE ... FROM a VALUES list; the casts give the list's columns types on PostgreSQL.
      await this.db.raw(
        `with used(id, at) as (values ${chunk.map(() => '(cast(? as text), cast(? as bigint))').join(', ')})
         update keys set last_used_at = used.at from used
         where keys.id = used.id and (keys.last_used_at is null or keys.last_used_at < used.at)`,
        chunk.flat(),
      );
    }
  }

  async ping(): Promise<void> {
    await this.db.raw('select 1');
  }
}
