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
