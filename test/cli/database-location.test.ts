import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { saveKeyPair } from '../../src/client/key-file.js';
import { generateKeyPair } from '../../src/client/keys.js';
import { expectNoStackTrace, runCli, withCliUser } from '../helpers/cli-process.js';
import type { LiveServer } from '../helpers/live-server.js';

/**
 * The commands that write to the database directly find it as `signet serve` does (SIGNET_DB,
 * --db, default ./data/signet.sqlite) and never create one by accident: run in the wrong folder
 * they say where they looked and how to point them at the server's database.
 */
describe('CLI commands that write to the database find the one the server uses, and never create one by accident', () => {
  let server: LiveServer;
  let dir: string;
  let env: Record<string, string>;
  withCliUser('signet-db-location-', (s) => ({ server, dir, env } = s));

  async function publicKeyFile(name: string): Promise<string> {
    const file = join(dir, name);
    await saveKeyPair(await generateKeyPair(), file);
    return `${file}.pub`;
  }

  function emptyFolder(name: string): string {
    const folder = join(dir, name);
    mkdirSync(folder);
    return folder;
  }

  it('consumers add outside the server folder refuses, naming the path it looked at and the fix, and creates nothing', async () => {
    const elsewhere = emptyFolder('elsewhere');
    const result = await runCli(['consumers', 'add', 'acme', '--public-key', await publicKeyFile('acme.pem')], env, { cwd: elsewhere });
    expect(result.code).toBe(8);
    expectNoStackTrace(result);
    expect(result.stderr).toContain(`No Signet database at ${join(elsewhere, 'data', 'signet.sqlite')}`);
    expect(result.stderr).toMatch(/--db FILE or SIGNET_DB/);
    expect(readdirSync(elsewhere)).toEqual([]);
  });

  it('admin init outside the server folder refuses before writing a key file or a profile', async () => {
    const elsewhere = emptyFolder('elsewhere-admin');
    const result = await runCli(['admin', 'init', '--key-out', join(elsewhere, 'admin.pem'), '--server', server.url], env, { cwd: elsewhere });
    expect(result.code).toBe(8);
    expect(result.stderr).toContain(`No Signet database at ${join(elsewhere, 'data', 'signet.sqlite')}`);
    expect(readdirSync(elsewhere)).toEqual([]);
    expect(existsSync(env.SIGNET_CONFIG!)).toBe(false);
  });

  it('consumers add from any folder writes to the server database named by SIGNET_DB, as serve reads it', async () => {
    const elsewhere = emptyFolder('elsewhere-env');
    const result = await runCli(['consumers', 'add', 'acme', '--public-key', await publicKeyFile('env.pem'), '--json'], { ...env, SIGNET_DB: server.config.db }, { cwd: elsewhere });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).key_id).toMatch(/^key_/);
    expect(readdirSync(elsewhere)).toEqual([]);
  });

  it('consumers add --create-db makes a new database where asked', async () => {
    const elsewhere = emptyFolder('elsewhere-create');
    const result = await runCli(['consumers', 'add', 'acme', '--public-key', await publicKeyFile('new.pem'), '--create-db'], env, { cwd: elsewhere });
    expect(result.code).toBe(0);
    expect(existsSync(join(elsewhere, 'data', 'signet.sqlite'))).toBe(true);
  });
});
