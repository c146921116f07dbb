import { useId } from 'preact/hooks';
import { bucketLabel, formatCount, formatTime } from './format.js';

export interface UsageBucket {
  start: string;
  requests: number;
  by_status_class: Record<string, number>;
}

const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const;

const WIDTH = 720;
const HEIGHT = 220;
const LEFT = 44;
const RIGHT = 8;
const TOP = 10;
const BOTTOM = 24;

/** 1, 2 or 5 times a power of ten, at least `n`: a round top for the axis. */
export function niceCeiling(n: number): number {
  if (n <= 1) return 1;
  const power = 10 ** Math.floor(Math.log10(n));
  for (const step of [1, 2, 5, 10]) if (step * power >= n) return step * power;
  return 10 * power;
}

/**
 * Requests over time as stacked bars, one colour per status class, drawn as inline SVG (no chart
 * library, nothing fetched). Every bar segment has a tooltip; the same numbers are in a table
 * below for screen readers and for copying.
 */
export function UsageChart({ buckets, granularity }: { buckets: UsageBucket[]; granularity: string }) {
  const titleId = useId();
  const total = buckets.reduce((sum, b) => sum + b.requests, 0);
  const byClass: Record<string, number> = {};
  for (const b of buckets) for (const [cls, n] of Object.entries(b.by_status_class)) byClass[cls] = (byClass[cls] ?? 0) + n;
  const present = STATUS_CLASSES.filter((cls) => (byClass[cls] ?? 0) > 0);
  const top = niceCeiling(Math.max(0, ...buckets.map((b) => b.requests)));
  const plotWidth = WIDTH - LEFT - RIGHT;
  const plotHeight = HEIGHT - TOP - BOTTOM;
  const slot = plotWidth / Math.max(1, buckets.length);
  const barWidth = Math.max(1, slot * 0.72);
  const labelEvery = Math.max(1, Math.ceil(buckets.length / 8));
  const y = (n: number) => TOP + plotHeight - (n / top) * plotHeight;
  const summary = `Requests per ${granularity} by status class: ${formatCount(total)} in total` + present.map((cls) => `, ${formatCount(byClass[cls]!)} ${cls}`).join('');

  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-labelledby={titleId} data-total={total}>
        <title id={titleId}>{summary}</title>
        {[0, top / 2, top].filter(Number.isInteger).map((tick) => (
          <g class="grid" key={tick}>
            <line x1={LEFT} x2={WIDTH - RIGHT} y1={y(tick)} y2={y(tick)} />
            <text x={LEFT - 6} y={y(tick) + 4} text-anchor="end">
              {formatCount(tick)}
            </text>
          </g>
        ))}
        {buckets.map((bucket, i) => {
          let base = 0;
          const x = LEFT + i * slot + (slot - barWidth) / 2;
          return (
            <g key={bucket.start} data-start={bucket.start}>
              {STATUS_CLASSES.map((cls) => {
                const n = bucket.by_status_class[cls] ?? 0;
                if (n === 0) return null;
                const rect = (
                  <rect class={`sc sc-${cls}`} x={x} y={y(base + n)} width={barWidth} height={Math.max(1, y(base) - y(base + n))} data-class={cls} data-count={n}>
                    <title>{`${formatTime(bucket.start)}: ${formatCount(n)} ${cls}`}</title>
                  </rect>
                );
                base += n;
                return rect;
              })}
              {i % labelEvery === 0 && (
                <text class="axis" x={LEFT + i * slot + slot / 2} y={HEIGHT - 6} text-anchor="middle">
                  {bucketLabel(bucket.start, granularity)}
                </text>
              )}
            </g>
          );
        })}
      </svg>
      <figcaption>
        <ul class="legend">
          {STATUS_CLASSES.filter((cls) => cls !== '1xx' || present.includes(cls)).map((cls) => (
            <li key={cls}>
              <span class={`swatch sc-${cls}`} aria-hidden="true" />
              {cls} <span class="muted">{formatCount(byClass[cls] ?? 0)}</span>
            </li>
          ))}
        </ul>
        {total === 0 && <p class="muted">No requests in this span yet.</p>}
      </figcaption>
      {total > 0 && (
        <details>
          <summary>Show as a table</summary>
          <table class="compact">
            <thead>
              <tr>
                <th scope="col">{granularity} (UTC)</th>
                <th scope="col" class="num">
                  requests
                </th>
                {present.map((cls) => (
                  <th scope="col" class="num" key={cls}>
                    {cls}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {buckets
                .filter((b) => b.requests > 0)
                .map((b) => (
                  <tr key={b.start}>
                    <td>{formatTime(b.start)}</td>
                    <td class="num">{formatCount(b.requests)}</td>
                    {present.map((cls) => (
                      <td class="num" key={cls}>
                        {formatCount(b.by_status_class[cls] ?? 0)}
                      </td>
                    ))}
                  </tr>
                ))}
            </tbody>
          </table>
        </details>
      )}
    </figure>
  );
}
