import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectNoStackTrace, runCli, withCliUser } from '../helpers/cli-process.js';
import type { LiveServer } from '../helpers/live-server.js';

interface Line {
  check: string;
  verdict: string;
  found: string;
  fix?: string;
}
const verdicts = (stdout: string): Record<string, Line> => Object.fromEntries((JSON.parse(stdout) as Line[]).map((line) => [line.check, line]));

describe('signet doctor', () => {
  let server: LiveServer;
  let env: Record<string, string>;
  withCliUser('signet-doctor-', (s) => ({ server, env } = s));
  const serverSettings = () => ({ ...env, SIGNET_DB: server.config.db, SIGNET_PUBLIC_ORIGIN: server.url });

  it('passes every check against a running server on its own database, and says so', async () => {
    const result = await runCli(['doctor'], serverSettings());
    expect(result.code, result.stdout).toBe(0);
    for (const check of ['settings', 'database', 'migrations', 'redis', 'public origin', 'clock']) expect(result.stdout).toMatch(new RegExp(`^ok +${check}`, 'm'));
  });

  it('finds a missing database without creating it, and says to run signet migrate', async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'signet-doctor-db-')), 'signet.sqlite');
    const result = await runCli(['doctor', '--json'], { ...serverSettings(), SIGNET_DB: db });
    expect(result.code).toBe(1);
    expect(verdicts(result.stdout).database).toMatchObject({ verdict: 'fail', fix: expect.stringContaining('signet migrate') });
    expect(existsSync(db)).toBe(false);
  });

  it('finds migrations not applied on an empty database', async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'signet-doctor-db-')), 'empty.sqlite');
    writeFileSync(db, '');
    const lines = verdicts((await runCli(['doctor', '--json'], { ...serverSettings(), SIGNET_DB: db })).stdout);
    expect(lines.database!.verdict).toBe('ok');
    expect(lines.migrations).toMatchObject({ verdict: 'fail', found: expect.stringMatching(/^\d+ of \d+ not applied$/), fix: expect.stringContaining('signet migrate') });
  });

  it('names an invalid setting and skips what depends on it, without a stack trace', async () => {
    const result = await runCli(['doctor'], { ...serverSettings(), SIGNET_CLOCK_SKEW: 'soon' });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^FAIL +settings .*SIGNET_CLOCK_SKEW/m);
    expect(result.stdout).toMatch(/^skip +database/m);
    expectNoStackTrace(result);
  });

  it('finds a Redis that does not answer and a public origin where nothing listens', async () => {
    const result = await runCli(['doctor', '--json'], { ...serverSettings(), SIGNET_REDIS_URL: 'redis://127.0.0.1:1', SIGNET_REDIS_TIMEOUT_MS: '300', SIGNET_PUBLIC_ORIGIN: 'http://127.0.0.1:1' });
    expect(result.code).toBe(1);
    const lines = verdicts(result.stdout);
    expect(lines.redis).toMatchObject({ verdict: 'fail', fix: expect.stringContaining('SIGNET_REDIS_URL') });
    expect(lines['public origin']).toMatchObject({ verdict: 'fail', found: expect.stringContaining('nothing answers at http://127.0.0.1:1/.well-known/signet') });
  });

  it("finds a clock far from the server's and says to run NTP", async () => {
    server.clock.offsetMs = 10 * 60_000;
    try {
      const lines = verdicts((await runCli(['doctor', '--json'], serverSettings())).stdout);
      expect(lines.clock).toMatchObject({ verdict: 'fail', found: expect.stringMatching(/^this clock is 6\d\d s behind the server's/), fix: expect.stringContaining('NTP') });
    } finally {
      server.clock.offsetMs = 0;
    }
  });
});
