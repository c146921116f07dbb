import { formatWindowLength } from '../../plans.js';
import type { UsageQuery, UsageSeries, UsageTotals } from '../../store/types.js';
import type { EffectiveLimits, WindowState } from '../rate-limit/limiter.js';
import { GRANULARITY_MS } from './rollup.js';

/** JSON shapes of the usage API (docs/rate-limits.md). Times are RFC 3339 strings. */

const iso = (ms: number) => new Date(ms).toISOString();
const round = (n: number) => Math.round(n * 1000) / 1000;

function totalsView(t: UsageTotals) {
  return {
    requests: t.requests,
    latency_ms_avg: t.requests === 0 ? null : round(t.latencyMsSum / t.requests),
    latency_ms_max: t.requests === 0 ? null : round(t.latencyMsMax),
    bytes_in: t.bytesIn,
    bytes_out: t.bytesOut,
  };
}

const zero = (): UsageTotals => ({ requests: 0, latencyMsSum: 0, latencyMsMax: 0, bytesIn: 0, bytesOut: 0 });

function add(into: UsageTotals, t: UsageTotals): void {
  into.requests += t.requests;
  into.latencyMsSum += t.latencyMsSum;
  into.latencyMsMax = Math.max(into.latencyMsMax, t.latencyMsMax);
  into.bytesIn += t.bytesIn;
  into.bytesOut += t.bytesOut;
}

/** A bucket's (or the span's) totals with their split by status class and by request format. */
interface Split {
  totals: UsageTotals;
  byClass: Record<string, number>;
  byFormat: Record<string, number>;
}

const splitView = (s: Split) => ({ ...totalsView(s.totals), by_status_class: s.byClass, by_format: s.byFormat });

/**
 * Every bucket of the span, empty ones included (a chart needs them), with requests per status
 * class and per request format (`jws`, `rfc9421`): each split sums to the bucket's `requests`.
 */
export function usageView(query: UsageQuery, series: UsageSeries, recording: boolean) {
  const size = GRANULARITY_MS[query.granularity];
  const empty = (): Split => ({ totals: zero(), byClass: {}, byFormat: {} });
  const buckets = new Map<number, Split>();
  for (let start = query.from; start < query.to; start += size) buckets.set(start, empty());
  const total = empty();
  for (const row of series.buckets) {
    const bucket = buckets.get(row.bucketStart);
    if (bucket === undefined) continue;
    const cls = `${row.statusClass}xx`;
    for (const target of [bucket, total]) {
      add(target.totals, row);
      target.byClass[cls] = (target.byClass[cls] ?? 0) + row.requests;
      target.byFormat[row.format] = (target.byFormat[row.format] ?? 0) + row.requests;
    }
  }
  const groupName = query.groupBy;
  return {
    granularity: query.granularity,
    from: iso(query.from),
    to: iso(query.to),
    recording,
    totals: splitView(total),
    buckets: [...buckets].map(([start, b]) => ({ start: iso(start), ...splitView(b) })),
    ...(groupName !== undefined ? { group_by: groupName, groups: series.groups.map((g) => ({ [groupName]: g.value, ...totalsView(g) })) } : {}),
  };
}

function windowView(state: WindowState, window: string) {
  return {
    name: state.name,
    limit: state.limit,
    window,
    window_seconds: state.windowSeconds,
    remaining: state.remaining,
    reset_seconds: state.resetSeconds,
  };
}

export function limitsView(limits: EffectiveLimits, windows: readonly WindowState[]) {
  return {
    plan: limits.plan,
    overridden: limits.overridden,
    unlimited: limits.windows.length === 0,
    windows: windows.map((w, i) => windowView(w, formatWindowLength(limits.windows[i]!.length))),
  };
}
