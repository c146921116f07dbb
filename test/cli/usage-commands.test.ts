import { beforeAll, describe, expect, it } from 'vitest';
import { bar, renderUsage, type UsageJson } from '../../src/cli/usage/render.js';
import { runInProcess as run, withCliHarness } from '../helpers/cli-process.js';
import type { Harness } from '../helpers/harness.js';

describe('the usage and plan CLI', () => {
  let h: Harness;
  let db: string;
  let consumerId: string;

  withCliHarness('signet-usage-cli-', (s) => ({ h, db } = s));
  beforeAll(async () => {
    // The CLI signs with the real clock and the default spans end at the server's now.
    h.clock.set(Date.now());
    expect((await run('admin', 'init', '--db', db, '--server', h.baseUrl)).code).toBe(0);
    const added = await run('admin', 'consumers', 'add', 'customer', '--json');
    consumerId = JSON.parse(added.stdout).id;
  });

  it('admin plans lists the configured plans and marks the default', async () => {
    const listed = await run('admin', 'plans');
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain('internal (default)  unlimited');
    expect(listed.stdout).toContain('standard  per_second 5/1s, per_day 5000/1d');
  });

  it('admin consumers set-plan assigns a plan with per-consumer limits, and clears them again', async () => {
    const set = await run('admin', 'consumers', 'set-plan', consumerId, 'standard', '--limit', 'per_second=10/1s', '--limit', 'per_day=none/1d');
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toBe(`${consumerId}  plan=standard\n  per_second 10/1s\n  per_day removed\n`);
    const stored = await h.stores.credentials.getConsumer(consumerId);
    expect(stored).toMatchObject({
      plan: 'standard',
      rateLimitOverrides: [
        { name: 'per_second', limit: 10, window: '1s' },
        { name: 'per_day', limit: null, window: '1d' },
      ],
    });
    const cleared = JSON.parse((await run('admin', 'consumers', 'set-plan', consumerId, '--default', '--clear-limits', '--json')).stdout);
    expect(cleared).toMatchObject({ plan: null, rate_limits: null });
  });

  it("admin consumers set-plan refuses an unknown plan (exit 5, the server's 400) and malformed flags (exit 2)", async () => {
    const unknown = await run('admin', 'consumers', 'set-plan', consumerId, 'gold');
    expect(unknown.code).toBe(5);
    expect(unknown.stderr).toContain('Unknown plan "gold"');
    expect((await run('admin', 'consumers', 'set-plan', consumerId, '--limit', 'ten per second')).code).toBe(2);
    expect((await run('admin', 'consumers', 'set-plan', consumerId)).code).toBe(2);
    expect((await run('admin', 'consumers', 'set-plan', consumerId, 'free', '--default')).code).toBe(2);
  });

  it('usage prints the limits, a table (with the split by request format) and a bar chart of your own requests', async () => {
    expect((await run('request', 'GET', '/v1/whoami', '--format', 'rfc9421')).code).toBe(0);
    const shown = await run('usage', '--granularity', 'minute');
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/^plan internal: unlimited\n/);
    expect(shown.stdout).toMatch(/minute \(UTC\)\s+requests\s+2xx\s+4xx\s+jws\s+rfc9421\s+avg ms/);
    expect(shown.stdout).toContain('requests per minute');
    expect(shown.stdout).toMatch(/█/);
    const lines = shown.stdout.split('\n');
    const total = lines.find((l) => l.startsWith('total'))!;
    // The five earlier API calls of this suite (add, plans, three set-plan, one refused) were signed
    // by this key as JWS, and the one above as RFC 9421: requests, 2xx, 4xx, jws, rfc9421.
    expect(total.split(/\s+/).slice(1, 6).map(Number)).toEqual([6, 5, 1, 5, 1]);
    const asJson = JSON.parse((await run('usage', '--json', '--group-by', 'route')).stdout);
    expect(asJson.groups.map((g: { route: string }) => g.route)).toEqual(expect.arrayContaining(['/admin/v1/plans', '/admin/v1/consumers/:id']));
  });

  it("admin usage groups every consumer's traffic", async () => {
    const shown = await run('admin', 'usage', '--group-by', 'status_class', '--granularity', 'hour');
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/by status_class\n2xx\s+\d+ █/);
    expect(shown.stdout).toMatch(/\n4xx\s+\d+ /);
  });
});

describe('usage rendering', () => {
  it('draws bars in eighths of a cell, scaled to the largest value', () => {
    expect(bar(10, 10, 4)).toBe('████');
    expect(bar(5, 10, 4)).toBe('██');
    expect(bar(1, 16, 2)).toBe('▏');
    expect(bar(0, 10, 4)).toBe('');
  });

  it('fits the chart into the terminal width and says when recording is off', () => {
    const usage: UsageJson = {
      granularity: 'hour',
      from: '2026-01-01T00:00:00.000Z',
      to: '2026-01-01T02:00:00.000Z',
      recording: false,
      totals: { requests: 30, latency_ms_avg: 1.5, latency_ms_max: 9, bytes_in: 0, bytes_out: 900, by_status_class: { '2xx': 30 } },
      buckets: [
        { start: '2026-01-01T00:00:00.000Z', requests: 30, latency_ms_avg: 1.5, latency_ms_max: 9, bytes_in: 0, bytes_out: 900, by_status_class: { '2xx': 30 } },
        { start: '2026-01-01T01:00:00.000Z', requests: 0, latency_ms_avg: null, latency_ms_max: null, bytes_in: 0, bytes_out: 0, by_status_class: {} },
      ],
    };
    const text = renderUsage(usage, 40);
    const barLine = text.split('\n').find((l) => l.startsWith('2026-01-01 00:00 30 '))!;
    // One column short of the width: some terminals wrap a line that fills the last column.
    expect(barLine.length).toBe(39);
    expect(text).toContain('2026-01-01 01:00  0\n');
    expect(text).toContain('usage recording is turned off');
    expect(text).not.toContain('jws');
  });

  it('shows a column per request format when the server reports the split, unknown formats after the known ones', () => {
    const totals = { requests: 3, latency_ms_avg: 1, latency_ms_max: 1, bytes_in: 0, bytes_out: 0, by_status_class: { '2xx': 3 } };
    const usage: UsageJson = {
      granularity: 'day',
      from: '2026-01-01T00:00:00.000Z',
      to: '2026-01-02T00:00:00.000Z',
      recording: true,
      totals: { ...totals, by_format: { rfc9421: 2, future: 1 } },
      buckets: [{ start: '2026-01-01T00:00:00.000Z', ...totals, by_format: { rfc9421: 2, future: 1 } }],
    };
    const [header, first] = renderUsage(usage).split('\n');
    expect(header!.split(/\s{2,}/)).toEqual(['day (UTC)', 'requests', '2xx', '4xx', 'jws', 'rfc9421', 'future', 'avg ms', 'max ms', 'bytes in', 'bytes out']);
    expect(first!.split(/\s+/).slice(0, 7)).toEqual(['2026-01-01', '3', '3', '0', '0', '2', '1']);
  });
});
