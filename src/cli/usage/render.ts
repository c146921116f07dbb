/** Text rendering of the usage API's answers: a table and a terminal bar chart (no colour needed). */
import { shown } from '../terminal-text.js';

interface UsageTotalsJson {
  requests: number;
  /** Requests per request format (jws, rfc9421); absent from servers older than the split. */
  by_format?: Record<string, number>;
  latency_ms_avg: number | null;
  latency_ms_max: number | null;
  bytes_in: number;
  bytes_out: number;
}

export interface UsageJson {
  granularity: 'minute' | 'hour' | 'day';
  from: string;
  to: string;
  recording: boolean;
  totals: UsageTotalsJson & { by_status_class: Record<string, number> };
  buckets: Array<UsageTotalsJson & { start: string; by_status_class: Record<string, number> }>;
  group_by?: string;
  groups?: Array<UsageTotalsJson & Record<string, unknown>>;
  limits?: LimitsJson;
}

interface LimitsJson {
  plan: string;
  overridden: boolean;
  unlimited: boolean;
  windows: Array<{ name: string; limit: number; window: string; remaining: number; reset_seconds: number }>;
}

/** Shown as columns whenever the server reports the split, so a zero is visible too. */
const KNOWN_FORMATS = ['jws', 'rfc9421'];

const EIGHTHS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

/** A bar of `value / max` of `width` cells, in eighths of a cell. */
export function bar(value: number, max: number, width: number): string {
  if (max <= 0 || value <= 0) return '';
  const eighths = Math.max(1, Math.round((value / max) * width * 8));
  return '█'.repeat(Math.floor(eighths / 8)) + EIGHTHS[eighths % 8]!;
}

function duration(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86_400)} d`;
}

function table(header: string[], rows: string[][], rightAligned: boolean[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (rightAligned[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

const ms = (value: number | null) => (value === null ? '-' : value.toFixed(1));

function bucketLabel(start: string, granularity: UsageJson['granularity']): string {
  return granularity === 'day' ? start.slice(0, 10) : `${start.slice(0, 10)} ${start.slice(11, 16)}`;
}

function renderLimits(limits: LimitsJson): string {
  const head = `plan ${limits.plan}${limits.overridden ? ' (with overrides)' : ''}`;
  if (limits.unlimited) return `${head}: unlimited\n`;
  const windows = limits.windows.map((w) => `  ${w.name.padEnd(14)} ${String(w.remaining).padStart(8)} of ${w.limit} per ${w.window} left, resets in ${duration(w.reset_seconds)}`);
  return `${head}\n${windows.join('\n')}\n`;
}

/** The bucket table, then a bar per bucket scaled to the terminal width, then the groups if any. */
export function renderUsage(usage: UsageJson, columns = 80): string {
  const classes = ['2xx', '3xx', '4xx', '5xx'].filter((c) => c === '2xx' || c === '4xx' || (usage.totals.by_status_class[c] ?? 0) > 0);
  const byFormat = usage.totals.by_format;
  const formats =
    byFormat === undefined
      ? []
      : [
          ...KNOWN_FORMATS,
          ...Object.keys(byFormat)
            .filter((f) => !KNOWN_FORMATS.includes(f))
            .sort(),
        ];
  const header = [`${usage.granularity} (UTC)`, 'requests', ...classes, ...formats.map(shown), 'avg ms', 'max ms', 'bytes in', 'bytes out'];
  const right = header.map((_, i) => i > 0);
  const row = (label: string, t: UsageTotalsJson & { by_status_class: Record<string, number> }) => [
    label,
    String(t.requests),
    ...classes.map((c) => String(t.by_status_class[c] ?? 0)),
    ...formats.map((f) => String(t.by_format?.[f] ?? 0)),
    ms(t.latency_ms_avg),
    ms(t.latency_ms_max),
    String(t.bytes_in),
    String(t.bytes_out),
  ];
  let out = '';
  if (usage.limits !== undefined) out += renderLimits(usage.limits) + '\n';
  out += table(header, [...usage.buckets.map((b) => row(bucketLabel(b.start, usage.granularity), b)), row('total', usage.totals)], right);

  const max = Math.max(0, ...usage.buckets.map((b) => b.requests));
  const labelWidth = bucketLabel(usage.from, usage.granularity).length;
  const countWidth = String(max).length;
  const barWidth = Math.max(10, columns - labelWidth - countWidth - 3);
  out += `\nrequests per ${usage.granularity}\n`;
  for (const b of usage.buckets) {
    out += `${bucketLabel(b.start, usage.granularity)} ${String(b.requests).padStart(countWidth)} ${bar(b.requests, max, barWidth)}`.trimEnd() + '\n';
  }

  if (usage.group_by !== undefined && usage.groups !== undefined) {
    const name = usage.group_by;
    const top = Math.max(0, ...usage.groups.map((g) => g.requests));
    const labels = usage.groups.map((g) => shown(g[name]));
    const width = Math.max(name.length, ...labels.map((l) => l.length));
    out += `\nby ${name}\n`;
    usage.groups.forEach((g, i) => {
      out += `${labels[i]!.padEnd(width)} ${String(g.requests).padStart(String(top).length)} ${bar(g.requests, top, Math.max(10, columns - width - String(top).length - 3))}`.trimEnd() + '\n';
    });
  }
  if (!usage.recording) out += '\n(usage recording is turned off on this server)\n';
  return out;
}
