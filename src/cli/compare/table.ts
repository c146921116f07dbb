import type { LeakOutcome } from './leak.js';
import type { CompareReport, Mode } from './run.js';

export const MODE_TITLES: Record<Mode, string> = { ed25519: 'Ed25519 (EdDSA)', hmac: 'HMAC (HS256)' };

export interface Row {
  label: string;
  ed25519: string;
  hmac: string;
  /** Section heading rows have no values. */
  section?: boolean;
}

const n = (value: number): string => value.toLocaleString('en-US');

function leakCell(outcome: LeakOutcome): string {
  const last = outcome.attempts[outcome.attempts.length - 1]!;
  if (outcome.forged) {
    const accepted = outcome.attempts.find((a) => a.status >= 200 && a.status < 300)!;
    return `FORGED: HTTP ${accepted.status}`;
  }
  const statuses = [...new Set(outcome.attempts.map((a) => a.status))].join('/');
  return `refused: HTTP ${statuses} (${outcome.attempts.length} tries${last.code !== null ? `, ${last.code}` : ''})`;
}

/** The side-by-side rows, shared by the text table and the HTML page. */
export function comparisonRows(report: CompareReport): Row[] {
  const row = (label: string, cell: (mode: Mode) => string): Row => ({ label, ed25519: cell('ed25519'), hmac: cell('hmac') });
  const m = report.modes;
  return [
    { label: 'What the database stores per key', ed25519: '', hmac: '', section: true },
    row('stored key material', (mode) => (mode === 'ed25519' ? `public key, ${m.ed25519.storage.key_material_bytes} B` : `IV + ciphertext + tag, ${m.hmac.storage.key_material_bytes} B`)),
    row('secret in the database', (mode) => (m[mode].storage.secret_in_database === 'none' ? 'none' : `encrypted (master key v${m[mode].storage.master_key_version})`)),
    { label: 'Simulated leak (real HTTP answers)', ed25519: '', hmac: '', section: true },
    row('copy of the database file', (mode) => leakCell(m[mode].leak.database)),
    row('database + master key', (mode) => leakCell(m[mode].leak.database_and_master_key)),
    { label: 'Performance (same run)', ed25519: '', hmac: '', section: true },
    row('sign ops/s (client)', (mode) => n(m[mode].performance.sign_ops_per_s)),
    row('verify ops/s (server)', (mode) => n(m[mode].performance.verify_ops_per_s)),
    row('token size (bytes)', (mode) => n(m[mode].performance.token_bytes)),
    row('end-to-end requests/s', (mode) => n(m[mode].performance.requests_per_s)),
    row('latency p50 / p99 (ms)', (mode) => `${m[mode].performance.latency_ms.p50} / ${m[mode].performance.latency_ms.p99}`),
    row('server CPU per request (µs)', (mode) => n(m[mode].performance.server_cpu_us_per_request)),
    row('requests sent / failed', (mode) => `${n(m[mode].performance.requests)} / ${n(m[mode].performance.failed_requests)}`),
  ];
}

/** The comparison as a plain-text table for a terminal. */
export function renderTable(report: CompareReport): string {
  const rows = comparisonRows(report);
  const w0 = Math.max(...rows.map((r) => r.label.length + (r.section ? 0 : 2)));
  const w1 = Math.max(MODE_TITLES.ed25519.length, ...rows.map((r) => r.ed25519.length));
  const w2 = Math.max(MODE_TITLES.hmac.length, ...rows.map((r) => r.hmac.length));
  const rule = `${'-'.repeat(w0)}  ${'-'.repeat(w1)}  ${'-'.repeat(w2)}`;
  const lines = [`${''.padEnd(w0)}  ${MODE_TITLES.ed25519.padEnd(w1)}  ${MODE_TITLES.hmac}`, rule];
  for (const r of rows) lines.push(r.section ? r.label : `  ${r.label.padEnd(w0 - 2)}  ${r.ed25519.padEnd(w1)}  ${r.hmac}`);
  const env = report.environment;
  const s = env.settings;
  lines.push(rule);
  lines.push(
    `Node ${env.node}, ${env.platform}, ${env.cpus} CPU (${env.cpu_model}); ${s.ops} sign/verify ops and up to ${s.requests} requests per mode over ${s.concurrency} connections; ${(env.duration_ms / 1000).toFixed(1)} s in all.`,
  );
  return lines.join('\n') + '\n';
}
