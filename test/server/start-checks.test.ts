import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqlite } from '../../src/store/factory.js';
import { migrationConfig } from '../../src/store/migrations.js';
import { disposeCli, runCli } from '../helpers/cli-process.js';

const dir = mkdtempSync(join(tmpdir(), 'signet-start-'));
afterAll(() => {
  disposeCli();
  rmSync(dir, { recursive: true, force: true });
});

describe('starting on a database that lacks migrations', () => {
  it('refuses to start with SIGNET_MIGRATE_ON_START=false, naming the missing migrations and the command that applies them', async () => {
    const db = join(dir, 'old.sqlite');
    // A database one migration behind the code.
    const knex = openSqlite(db);
    await knex.migrate.up(migrationConfig);
    await knex.destroy();
    const started = await runCli(['serve', '--port', '0', '--db', db], { SIGNET_MIGRATE_ON_START: 'false', SIGNET_MASTER_KEY_FILE: join(dir, 'master.key'), SIGNET_LOG_LEVEL: 'warn' });
    expect(started.code).not.toBe(0);
    expect(started.stderr).not.toContain('signet listening');
    expect(started.stderr).toContain('002_lifecycle_and_audit');
    expect(started.stderr).toContain('signet migrate');
    expect(started.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);
});
