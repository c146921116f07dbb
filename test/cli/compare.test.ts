import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCompareEnvironment, type CompareEnvironment } from '../../src/cli/compare/environment.js';
import { simulateLeak, type LeakReport } from '../../src/cli/compare/leak.js';
import { runInProcess as run } from '../helpers/cli-process.js';

describe('the leak simulation', () => {
  let env: CompareEnvironment;
  let leak: LeakReport;
  beforeAll(async () => {
    env = await startCompareEnvironment();
    leak = await simulateLeak(env);
  });
  afterAll(async () => env?.close());

  it('Ed25519: forging fails with a copy of the database alone (every try refused by the real server)', () => {
    expect(leak.ed25519.database.forged).toBe(false);
    expect(leak.ed25519.database.attempts.length).toBeGreaterThanOrEqual(2);
    for (const attempt of leak.ed25519.database.attempts) expect(attempt).toMatchObject({ status: 401, code: 'invalid_token' });
  });

  it('Ed25519: forging still fails with the database and the master key', () => {
    expect(leak.ed25519.database_and_master_key.forged).toBe(false);
    for (const attempt of leak.ed25519.database_and_master_key.attempts) expect(attempt.status).toBe(401);
  });

  it('HMAC: forging fails with a copy of the database alone (the secret is encrypted)', () => {
    expect(leak.hmac.database.forged).toBe(false);
    for (const attempt of leak.hmac.database.attempts) expect(attempt).toMatchObject({ status: 401, code: 'invalid_token' });
  });

  it('HMAC: forging succeeds with the database and the master key: the server accepts the forged request', () => {
    expect(leak.hmac.database_and_master_key.forged).toBe(true);
    expect(leak.hmac.database_and_master_key.attempts).toEqual([expect.objectContaining({ status: 200, attempt: expect.stringContaining('decrypt the stored secret') })]);
  });
});

describe('signet compare', () => {
  const dir = mkdtempSync(join(tmpdir(), 'signet-compare-test-'));
  const html = join(dir, 'compare.html');
  let result: { code: number; stdout: string; stderr: string };
  beforeAll(async () => {
    result = await run('compare', '--json', '--html', html, '--ops', '64', '--requests', '150', '--concurrency', '4', '--duration', '60s');
  }, 60_000);

  it('--json produces every field for both modes', () => {
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({
      signet_compare: 1,
      environment: {
        node: process.version,
        platform: expect.any(String),
        cpus: expect.any(Number),
        cpu_model: expect.any(String),
        started_at: expect.any(String),
        duration_ms: expect.any(Number),
        settings: { ops: 64, requests: 150, concurrency: 4, durationMs: 60000 },
      },
    });
    expect(Object.keys(report.modes)).toEqual(['ed25519', 'hmac']);
    for (const mode of ['ed25519', 'hmac']) {
      const m = report.modes[mode];
      expect(m.storage).toEqual({
        table: expect.any(String),
        columns: expect.any(Array),
        key_material_bytes: expect.any(Number),
        secret_in_database: expect.any(String),
        master_key_version: mode === 'hmac' ? 1 : null,
      });
      for (const column of m.storage.columns) expect(column).toEqual({ column: expect.any(String), bytes: column.bytes === null ? null : expect.any(Number), holds: expect.any(String) });
      for (const who of ['database', 'database_and_master_key']) {
        expect(m.leak[who]).toEqual({ forged: expect.any(Boolean), attempts: expect.any(Array) });
        for (const attempt of m.leak[who].attempts) expect(attempt).toEqual({ attempt: expect.any(String), status: expect.any(Number), code: attempt.code === null ? null : expect.any(String) });
      }
      const p = m.performance;
      expect(Object.keys(p).sort()).toEqual([
        'authorization_header_bytes',
        'failed_requests',
        'latency_ms',
        'requests',
        'requests_per_s',
        'server_cpu_us_per_request',
        'sign_ops_per_s',
        'token_bytes',
        'verify_ops_per_s',
      ]);
      for (const field of ['sign_ops_per_s', 'verify_ops_per_s', 'token_bytes', 'authorization_header_bytes', 'requests_per_s', 'server_cpu_us_per_request']) {
        expect(p[field], `${mode}.${field}`).toBeGreaterThan(0);
      }
      expect(p.requests).toBe(150);
      expect(p.failed_requests).toBe(0);
      expect(p.latency_ms.p50).toBeGreaterThan(0);
      expect(p.latency_ms.p99).toBeGreaterThanOrEqual(p.latency_ms.p50);
    }
    expect(report.modes.ed25519.storage).toMatchObject({ key_material_bytes: 32, secret_in_database: 'none' });
    expect(report.modes.hmac.storage).toMatchObject({ key_material_bytes: 12 + 57 + 16, secret_in_database: 'encrypted' });
    expect([report.modes.ed25519.leak.database.forged, report.modes.ed25519.leak.database_and_master_key.forged]).toEqual([false, false]);
    expect([report.modes.hmac.leak.database.forged, report.modes.hmac.leak.database_and_master_key.forged]).toEqual([false, true]);
    // HS256 MACs are 32 bytes, Ed25519 signatures 64: 43 against 86 base64url characters.
    expect(report.modes.ed25519.performance.token_bytes - report.modes.hmac.performance.token_bytes).toBe(43);
  });

  it('--html writes a self-contained page: the table and an inline SVG chart per measure, no script, no link, no network', () => {
    const page = readFileSync(html, 'utf8');
    expect(page).toMatch(/^<!doctype html>/);
    expect(page).toContain('FORGED: HTTP 200');
    expect(page.match(/<svg /g)).toHaveLength(7);
    for (const pattern of [/<script/i, /\ssrc=/i, /\shref=/i, /url\(/i, /@import/i]) expect(page).not.toMatch(pattern);
    expect(page.replace(/xmlns="http:\/\/www\.w3\.org\/2000\/svg"/g, '')).not.toMatch(/https?:\/\//);
  });

  it('prints the side-by-side table without --json', async () => {
    const table = await run('compare', '--ops', '16', '--requests', '40', '--concurrency', '2', '--duration', '60s');
    expect(table.code, table.stderr).toBe(0);
    for (const label of [
      'Ed25519 (EdDSA)',
      'HMAC (HS256)',
      'copy of the database file',
      'database + master key',
      'sign ops/s',
      'verify ops/s',
      'token size',
      'end-to-end requests/s',
      'latency p50 / p99',
      'server CPU per request',
    ]) {
      expect(table.stdout).toContain(label);
    }
    expect(table.stdout).toMatch(/database \+ master key\s+refused: HTTP 401.*FORGED: HTTP 200/);
  }, 60_000);

  it('refuses bad options with exit code 2', async () => {
    expect((await run('compare', '--ops', '0')).code).toBe(2);
    expect((await run('compare', '--duration', 'forever')).code).toBe(2);
    expect((await run('compare', 'extra')).code).toBe(2);
  });
});
