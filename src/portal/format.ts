/** Display helpers: times in UTC (the server's buckets and windows are UTC), counts, durations. */

export function formatTime(iso: string | null | undefined): string {
  if (iso === null || iso === undefined) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

export function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 86_400) return `${Math.round(seconds / 360) / 10} h`;
  return `${Math.round(seconds / 8640) / 10} d`;
}

/** Bucket start as a short axis label for its granularity. */
export function bucketLabel(iso: string, granularity: string): string {
  const text = new Date(iso).toISOString();
  if (granularity === 'day') return text.slice(5, 10);
  return text.slice(11, 16);
}

const RELATIVE_UNITS: Array<[Intl.RelativeTimeFormatUnit, number]> = [
  ['year', 365 * 86_400_000],
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
];

/** "3 minutes ago", "in 30 days", "just now": the largest whole unit, rounded. */
export function relativeTime(iso: string, nowMs: number): string {
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return iso;
  const diff = at - nowMs;
  if (Math.abs(diff) < 45_000) return 'just now';
  const words = new Intl.RelativeTimeFormat('en', { numeric: 'always' });
  for (const [unit, ms] of RELATIVE_UNITS) {
    if (Math.abs(diff) >= ms * 0.95 || unit === 'minute') return words.format(Math.round(diff / ms), unit);
  }
  return iso;
}
