import type { CompareReport, Mode } from './run.js';
import { comparisonRows, MODE_TITLES } from './table.js';

const escape = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const COLORS: Record<Mode, string> = { ed25519: '#2f6f4f', hmac: '#b5562b' };

interface Chart {
  title: string;
  unit: string;
  /** Which way is better, for the caption. */
  better: 'higher' | 'lower';
  value: (report: CompareReport, mode: Mode) => number;
}

const CHARTS: Chart[] = [
  { title: 'Sign operations per second (client)', unit: 'ops/s', better: 'higher', value: (r, m) => r.modes[m].performance.sign_ops_per_s },
  { title: 'Verify operations per second (server)', unit: 'ops/s', better: 'higher', value: (r, m) => r.modes[m].performance.verify_ops_per_s },
  { title: 'End-to-end requests per second', unit: 'req/s', better: 'higher', value: (r, m) => r.modes[m].performance.requests_per_s },
  { title: 'Latency p50', unit: 'ms', better: 'lower', value: (r, m) => r.modes[m].performance.latency_ms.p50 },
  { title: 'Latency p99', unit: 'ms', better: 'lower', value: (r, m) => r.modes[m].performance.latency_ms.p99 },
  { title: 'Server CPU time per request', unit: 'µs', better: 'lower', value: (r, m) => r.modes[m].performance.server_cpu_us_per_request },
  { title: 'Token size', unit: 'bytes', better: 'lower', value: (r, m) => r.modes[m].performance.token_bytes },
];

/** One horizontal bar chart, two bars, as inline SVG. */
function barChart(report: CompareReport, chart: Chart): string {
  const modes: Mode[] = ['ed25519', 'hmac'];
  const values = modes.map((mode) => chart.value(report, mode));
  const max = Math.max(...values, 1e-9);
  const width = 520;
  const labelWidth = 130;
  const barMax = width - labelWidth - 110;
  const bars = modes
    .map((mode, i) => {
      const y = 10 + i * 34;
      const w = Math.max(1, Math.round((values[i]! / max) * barMax));
      return `<text x="0" y="${y + 17}" font-size="13">${escape(MODE_TITLES[mode])}</text><rect x="${labelWidth}" y="${y}" width="${w}" height="24" fill="${COLORS[mode]}"/><text x="${labelWidth + w + 6}" y="${y + 17}" font-size="13">${escape(values[i]!.toLocaleString('en-US'))} ${escape(chart.unit)}</text>`;
    })
    .join('');
  return `<figure><figcaption>${escape(chart.title)} <small>(${chart.better} is better)</small></figcaption><svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="84" role="img" aria-label="${escape(chart.title)}">${bars}</svg></figure>`;
}

/** A self-contained page: the table and the bar charts, no script, no network. */
export function renderHtml(report: CompareReport): string {
  const rows = comparisonRows(report)
    .map((r) =>
      r.section
        ? `<tr class="section"><th colspan="3">${escape(r.label)}</th></tr>`
        : `<tr><th scope="row">${escape(r.label)}</th><td>${escape(r.ed25519)}</td><td${/FORGED/.test(r.hmac) ? ' class="bad"' : ''}>${escape(r.hmac)}</td></tr>`,
    )
    .join('\n');
  const env = report.environment;
  const attempts = (['ed25519', 'hmac'] as const)
    .map((mode) => {
      const leak = report.modes[mode].leak;
      const items = [
        ...leak.database.attempts.map((a) => ['database', a] as const),
        ...leak.database_and_master_key.attempts.slice(mode === 'ed25519' ? leak.database.attempts.length : 0).map((a) => ['database + master key', a] as const),
      ]
        .map(([who, a]) => `<li>${escape(who)}: ${escape(a.attempt)} → HTTP ${a.status}${a.code !== null ? ` ${escape(a.code)}` : ''}</li>`)
        .join('');
      return `<h3>${escape(MODE_TITLES[mode])}</h3><ul>${items}</ul>`;
    })
    .join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>signet compare: Ed25519 and HMAC side by side</title>
<style>
body { font: 15px/1.5 system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; color: #1d1d1d; }
table { border-collapse: collapse; width: 100%; margin: 1rem 0 2rem; }
th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid #ddd; vertical-align: top; }
thead th { border-bottom: 2px solid #888; }
tr.section th { background: #f2f2f2; font-weight: 600; }
td.bad { color: #a4161a; font-weight: 700; }
figure { margin: 0 0 1.2rem; }
figcaption { font-weight: 600; margin-bottom: .2rem; }
small, footer { color: #666; }
</style>
</head>
<body>
<h1>Ed25519 and HMAC, side by side</h1>
<p>Measured by <code>signet compare</code> against a throwaway in-process server on a temporary SQLite database.
A copy of the database lets nobody sign as an Ed25519 consumer; an HMAC server must hold usable secrets,
so the database together with the master key gives them away.</p>
<table>
<thead><tr><th></th><th>${escape(MODE_TITLES.ed25519)}</th><th>${escape(MODE_TITLES.hmac)}</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
<h2>Forgery attempts after the leak</h2>
${attempts}
<h2>Charts</h2>
${CHARTS.map((chart) => barChart(report, chart)).join('\n')}
<footer>Node ${escape(env.node)}, ${escape(env.platform)}, ${env.cpus} CPU (${escape(env.cpu_model)}); started ${escape(env.started_at)}, ${(env.duration_ms / 1000).toFixed(1)} s;
${env.settings.ops} sign/verify operations and up to ${env.settings.requests} requests per mode over ${env.settings.concurrency} connections.</footer>
</body>
</html>
`;
}
