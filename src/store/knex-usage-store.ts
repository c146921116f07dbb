import type { Knex } from 'knex';
import type { Row } from './knex-rows.js';
import type { UsageDimension, UsageGranularity, UsageQuery, UsageRollup, UsageSeries, UsageStore, UsageTotals } from './types.js';

/**
 * The primary key of usage_rollups, which the upsert conflicts on (003 made it, 008 added `format`).
 * The migrations spell it out themselves: a migration is history and must not change when this file does.
 */
const USAGE_KEY_COLUMNS = ['granularity', 'bucket_start', 'consumer_id', 'key_id', 'mode', 'method', 'route', 'status', 'format'] as const;

const TABLE = 'usage_rollups';
/**
 * 500 rows a statement: knex writes a multi-row insert on SQLite as one compound SELECT, and SQLite
 * takes at most 500 terms in one (SQLITE_MAX_COMPOUND_SELECT); 14 columns a row make 7,000 bound
 * parameters, under SQLite's 32,766 and PostgreSQL's 65,535. As few statements as that allows: on
 * SQLite the synchronous key read waits while knex's connection runs anything
 * (src/store/sqlite-sync-read.ts), and at 70 rows a statement a flush kept that connection busy for
 * dozens of event-loop turns, during which first lookups of cold keys went the slower asynchronous way.
 */
export const ROWS_PER_INSERT = 500;
const MAX_GROUPS = 100;

const DIMENSION_COLUMN: Record<Exclude<UsageDimension, 'status_class'>, string> = { consumer: 'consumer_id', key: 'key_id', route: 'route' };

function rowOf(r: UsageRollup): Row {
  return {
    granularity: r.granularity,
    bucket_start: r.bucketStart,
    consumer_id: r.consumerId,
    key_id: r.keyId,
    mode: r.mode,
    format: r.format,
    method: r.method,
    route: r.route,
    status: r.status,
    requests: r.requests,
    latency_ms_sum: r.latencyMsSum,
    latency_ms_max: r.latencyMsMax,
    bytes_in: r.bytesIn,
    bytes_out: r.bytesOut,
  };
}

function totalsOf(row: Row): UsageTotals {
  return {
    requests: Number(row.requests),
    latencyMsSum: Number(row.latency_ms_sum),
    latencyMsMax: Number(row.latency_ms_max),
    bytesIn: Number(row.bytes_in),
    bytesOut: Number(row.bytes_out),
  };
}

/** Usage roll-ups on knex; the upsert syntax (ON CONFLICT ... DO UPDATE, excluded.*) is shared by SQLite and PostgreSQL. */
export class KnexUsageStore implements UsageStore {
  constructor(private readonly db: Knex) {}

  async write(rows: readonly UsageRollup[], deleteBefore: Partial<Record<UsageGranularity, number>> = {}): Promise<void> {
    const db = this.db;
    const sum = (column: string) => db.raw('?? + excluded.??', [`${TABLE}.${column}`, column]);
    const merge = {
      requests: sum('requests'),
      latency_ms_sum: sum('latency_ms_sum'),
      bytes_in: sum('bytes_in'),
      bytes_out: sum('bytes_out'),
      // CASE rather than GREATEST/MAX: the one spelling both databases accept.
      latency_ms_max: db.raw('CASE WHEN excluded.latency_ms_max > ?? THEN excluded.latency_ms_max ELSE ?? END', [`${TABLE}.latency_ms_max`, `${TABLE}.latency_ms_max`]),
    };
    await db.transaction(async (trx) => {
      // Rows arrive aggregated, so no two rows of one statement share a key (PostgreSQL refuses that).
      for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
        await trx(TABLE)
          .insert(rows.slice(i, i + ROWS_PER_INSERT).map(rowOf))
          .onConflict([...USAGE_KEY_COLUMNS])
          .merge(merge);
      }
      for (const [granularity, before] of Object.entries(deleteBefore)) {
        await trx(TABLE).where({ granularity }).andWhere('bucket_start', '<', before).delete();
      }
    });
  }

  async query(query: UsageQuery): Promise<UsageSeries> {
    const statusClass = this.db.raw('status / 100');
    const filtered = (): Knex.QueryBuilder => {
      const q = this.db(TABLE).where('granularity', query.granularity).andWhere('bucket_start', '>=', query.from).andWhere('bucket_start', '<', query.to);
      if (query.consumerId !== undefined) q.andWhere('consumer_id', query.consumerId);
      if (query.keyId !== undefined) q.andWhere('key_id', query.keyId);
      if (query.route !== undefined) q.andWhere('route', query.route);
      if (query.statusClass !== undefined) q.andWhere('status', '>=', query.statusClass * 100).andWhere('status', '<', query.statusClass * 100 + 100);
      return q;
    };
    const aggregates = (q: Knex.QueryBuilder) =>
      q.sum({ requests: 'requests' }).sum({ latency_ms_sum: 'latency_ms_sum' }).max({ latency_ms_max: 'latency_ms_max' }).sum({ bytes_in: 'bytes_in' }).sum({ bytes_out: 'bytes_out' });

    const bucketRows = (await aggregates(filtered().select('bucket_start', { status_class: statusClass }, 'format'))
      .groupBy('bucket_start', statusClass, 'format')
      .orderBy('bucket_start')
      .orderBy('status_class')
      .orderBy('format')) as Row[];
    const buckets = bucketRows.map((row) => ({ ...totalsOf(row), bucketStart: Number(row.bucket_start), statusClass: Number(row.status_class), format: String(row.format) }));

    let groups: UsageSeries['groups'] = [];
    if (query.groupBy !== undefined) {
      const column = query.groupBy === 'status_class' ? statusClass : DIMENSION_COLUMN[query.groupBy];
      const groupRows = (await aggregates(filtered().select({ value: column }))
        .groupBy(column)
        .orderBy('requests', 'desc')
        .limit(MAX_GROUPS)) as Row[];
      groups = groupRows.map((row) => ({
        ...totalsOf(row),
        value: query.groupBy === 'status_class' ? `${Number(row.value)}xx` : String(row.value),
      }));
    }
    return { buckets, groups };
  }
}
