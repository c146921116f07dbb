import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair } from '../../src/client/keys.js';
import { encodeBase64url } from '../../src/protocol/base64url.js';
import { KnexCredentialStore } from '../../src/store/knex-credential-store.js';
import { disposeCli, runCli } from '../helpers/cli-process.js';
import { createPgSchema, servicesAvailable, type PgSchema } from '../helpers/services.js';

const ready = servicesAvailable('the CLI commands on PostgreSQL', { pg: true });

describe.skipIf(!ready)('database commands with SIGNET_DATABASE_URL', () => {
  let pg: PgSchema;
  let env: Record<string, string>;
  beforeAll(async () => {
    pg = await createPgSchema('cli');
    env = { SIGNET_DATABASE_URL: pg.url, SIGNET_MASTER_KEY: randomBytes(32).toString('base64url') };
  });
  afterAll(async () => {
    await pg?.drop();
    disposeCli();
  });

  it('signet migrate works on PostgreSQL and names it without the password', async () => {
    const withPassword = new URL(pg.url);
    withPassword.password = 'not-shown';
    const result = await runCli(['migrate'], { ...env, SIGNET_DATABASE_URL: withPassword.toString() });
    // Trust authentication ignores the password; what matters is that it is not printed.
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^applied \d+ migrations?; database postgres:\/\/postgres:\*\*\*@.* is up to date \(0 pending\)\n$/);
    expect(result.stdout).not.toContain('not-shown');
  });

  it('signet consumers add writes to PostgreSQL, not to a SQLite file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'signet-pg-cli-'));
    const pair = await generateKeyPair();
    writeFileSync(join(dir, 'key.pub'), JSON.stringify({ kty: 'OKP', crv: 'Ed25519', x: encodeBase64url(pair.publicKey) }));
    const result = await runCli(['consumers', 'add', 'pg-user', '--public-key', join(dir, 'key.pub'), '--json'], env, { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    const { consumer_id, key_id } = JSON.parse(result.stdout) as { consumer_id: string; key_id: string };
    expect((await new KnexCredentialStore(pg.db).findKey(key_id))?.consumer).toMatchObject({ id: consumer_id, name: 'pg-user' });
  });

  it('refuses a database URL of another kind with a sentence saying what to use', async () => {
    const result = await runCli(['migrate'], { ...env, SIGNET_DATABASE_URL: 'mysql://root@127.0.0.1/signet' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('SIGNET_DATABASE_URL: unsupported database "mysql:"; use postgres://');
  });
});
