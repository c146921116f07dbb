import { writeFile } from 'node:fs/promises';
import { renderHtml } from '../compare/html.js';
import { DEFAULT_SETTINGS, runCompare } from '../compare/run.js';
import { renderTable } from '../compare/table.js';
import { EXIT, UsageError, type Command } from '../command.js';

function count(value: unknown, flag: string, fallback: number, max: number): number {
  if (typeof value !== 'string') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new UsageError(`${flag} must be a whole number from 1 to ${max}, not "${value}".`);
  return n;
}

function duration(value: unknown): number {
  if (typeof value !== 'string') return DEFAULT_SETTINGS.durationMs;
  const match = /^(\d+)(ms|s)?$/.exec(value.trim());
  const ms = match === null ? NaN : Number(match[1]) * (match[2] === 'ms' ? 1 : 1000);
  if (!(ms >= 100 && ms <= 60_000)) throw new UsageError(`--duration must be 100ms to 60s, e.g. 3s or 500ms, not "${value}".`);
  return ms;
}

export const compareCommand: Command = {
  path: ['compare'],
  summary: 'Compare Ed25519 and HMAC mode end to end: storage, a simulated leak, speed',
  usage: `signet compare [--json] [--html FILE] [--ops N] [--requests N] [--concurrency N] [--duration 3s]

Starts a throwaway Signet server in this process on a temporary SQLite database (deleted
afterwards), with one Ed25519 and one HMAC consumer, and prints a side-by-side table:

  - what the database stores per key in each mode;
  - a simulated leak: with a copy of the database file, then with the database and the master key,
    the attacker tries to forge a request in each mode; the table shows the server's real answers;
  - sign and verify operations per second, token size, end-to-end requests per second, p50 and p99
    latency and server CPU time per request, all measured in the same run (the load comes from a
    child process, so the server's CPU time is its own).

The default run takes a few seconds. docs/modes.md explains the trade-off.

  --json            print the whole comparison as JSON instead of the table
  --html FILE       also write a self-contained page (table and inline SVG bar charts, no network)
  --ops N           sign and verify operations per mode (default ${DEFAULT_SETTINGS.ops})
  --requests N      at most this many end-to-end requests per mode (default ${DEFAULT_SETTINGS.requests})
  --concurrency N   connections for the end-to-end run (default ${DEFAULT_SETTINGS.concurrency})
  --duration D      at most this long per mode end to end (default ${DEFAULT_SETTINGS.durationMs / 1000}s)`,
  options: {
    json: { type: 'boolean' },
    html: { type: 'string' },
    ops: { type: 'string' },
    requests: { type: 'string' },
    concurrency: { type: 'string' },
    duration: { type: 'string' },
  },
  async run({ values, positionals, io }) {
    if (positionals.length > 0) throw new UsageError(`Unexpected argument "${positionals[0]}".`);
    const settings = {
      ops: count(values.ops, '--ops', DEFAULT_SETTINGS.ops, 1_000_000),
      requests: count(values.requests, '--requests', DEFAULT_SETTINGS.requests, 1_000_000),
      concurrency: count(values.concurrency, '--concurrency', DEFAULT_SETTINGS.concurrency, 1024),
      durationMs: duration(values.duration),
    };
    const html = typeof values.html === 'string' && values.html !== '' ? values.html : undefined;
    const report = await runCompare(settings, (step) => io.stderr.write(`${step}...\n`));
    if (html !== undefined) {
      await writeFile(html, renderHtml(report));
      io.stderr.write(`wrote ${html}\n`);
    }
    io.stdout.write(values.json === true ? JSON.stringify(report, null, 2) + '\n' : renderTable(report));
    return EXIT.ok;
  },
};
