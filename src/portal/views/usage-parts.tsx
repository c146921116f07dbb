import type { ComponentChildren } from 'preact';
import { UsageChart, type UsageBucket } from '../chart.js';
import { formatCount, formatSeconds } from '../format.js';
import { LoadError, Notice } from '../ui.js';

interface UsageTotals {
  requests: number;
  latency_ms_avg: number | null;
  latency_ms_max: number | null;
  bytes_in: number;
  bytes_out: number;
  by_status_class?: Record<string, number>;
}

export interface UsageSeries {
  granularity: string;
  from: string;
  to: string;
  recording: boolean;
  totals: UsageTotals & { by_status_class: Record<string, number> };
  buckets: Array<UsageBucket & UsageTotals>;
  group_by?: string;
  groups?: Array<UsageTotals & Record<string, unknown>>;
}

export interface LimitsView {
  plan: string;
  overridden: boolean;
  unlimited: boolean;
  windows: Array<{ name: string; limit: number; window: string; window_seconds: number; remaining: number; reset_seconds: number }>;
}

/** The spans the usage views offer: the server's default span for each granularity. */
const GRANULARITIES: Array<[string, string]> = [
  ['minute', 'Last hour, per minute'],
  ['hour', 'Last 24 hours, per hour'],
  ['day', 'Last 30 days, per day'],
];

function GranularitySelect({ value, onChange }: { value: string; onChange: (value: string) => void }) {
  return (
    <label class="inline-label">
      Span{' '}
      <select value={value} onChange={(e) => onChange(e.currentTarget.value)}>
        {GRANULARITIES.map(([g, text]) => (
          <option key={g} value={g}>
            {text}
          </option>
        ))}
      </select>
    </label>
  );
}

function Totals({ series }: { series: UsageSeries }) {
  const t = series.totals;
  const errors = (t.by_status_class['4xx'] ?? 0) + (t.by_status_class['5xx'] ?? 0);
  return (
    <dl class="stats">
      <div>
        <dt>Requests</dt>
        <dd data-testid="total-requests">{formatCount(t.requests)}</dd>
      </div>
      <div>
        <dt>Errors (4xx, 5xx)</dt>
        <dd>{formatCount(errors)}</dd>
      </div>
      <div>
        <dt>Average latency</dt>
        <dd>{t.latency_ms_avg === null ? '—' : `${t.latency_ms_avg.toFixed(1)} ms`}</dd>
      </div>
      <div>
        <dt>Bytes in / out</dt>
        <dd>
          {formatCount(t.bytes_in)} / {formatCount(t.bytes_out)}
        </dd>
      </div>
    </dl>
  );
}

function SeriesChart({ series }: { series: UsageSeries }) {
  return (
    <>
      {!series.recording && <Notice kind="warn">Usage recording is switched off on this server (SIGNET_USAGE=false).</Notice>}
      <Totals series={series} />
      <UsageChart buckets={series.buckets} granularity={series.granularity} />
    </>
  );
}

/**
 * A usage page's first card: its heading, a toolbar of any `filters` then the span and Refresh,
 * and the loaded series as totals and a chart.
 */
export function UsageCard({
  headingId,
  heading,
  filters,
  granularity,
  onGranularity,
  usage,
}: {
  headingId: string;
  heading: string;
  filters?: ComponentChildren;
  granularity: string;
  onGranularity: (value: string) => void;
  usage: { data: UsageSeries | undefined; error: unknown; reload: () => void };
}) {
  return (
    <section class="card" aria-labelledby={headingId}>
      <div class="card-head">
        <h1 id={headingId}>{heading}</h1>
        <div class="toolbar">
          {filters}
          <GranularitySelect value={granularity} onChange={onGranularity} />
          <button type="button" class="secondary small" onClick={usage.reload}>
            Refresh
          </button>
        </div>
      </div>
      <LoadError error={usage.error} />
      {usage.data !== undefined && <SeriesChart series={usage.data} />}
    </section>
  );
}

export function LimitsTable({ limits }: { limits: LimitsView }) {
  return (
    <div data-testid="limits">
      <p>
        Plan <strong>{limits.plan}</strong>
        {limits.overridden ? ' with limits set for you' : ''}. {limits.unlimited && 'No rate limits apply.'}
      </p>
      {!limits.unlimited && (
        <div class="table-wrap">
          <table class="compact">
            <thead>
              <tr>
                <th scope="col">Window</th>
                <th scope="col">Limit</th>
                <th scope="col">Left now</th>
                <th scope="col">Resets in</th>
              </tr>
            </thead>
            <tbody>
              {limits.windows.map((w) => (
                <tr key={w.name} data-window={w.name}>
                  <th scope="row">{w.name}</th>
                  <td>
                    {formatCount(w.limit)} per {w.window}
                  </td>
                  <td>
                    <meter min={0} max={w.limit} low={w.limit * 0.2} optimum={w.limit} value={w.remaining} aria-label={`${w.name}: ${w.remaining} of ${w.limit} left`} /> {formatCount(w.remaining)}
                  </td>
                  <td>{formatSeconds(w.reset_seconds)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
