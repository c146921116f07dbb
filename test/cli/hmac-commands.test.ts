import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseHmacSecret } from '../../src/protocol/hmac-secret.js';
import { printedJson as json, runInProcess as run, withCliHarness } from '../helpers/cli-process.js';
import type { Harness } from '../helpers/harness.js';

/** The HMAC commands in process against a real server on a SQLite file shared with `admin init`. */
describe('the HMAC CLI', () => {
  let h: Harness;
  let dir: string;
  let consumerId: string;
  let kid: string;
  let secretFile: string;

  withCliHarness('signet-hmac-cli-', (s) => ({ h, dir } = s));
  beforeAll(async () => {
    json(await run('admin', 'init', '--db', join(dir, 'signet.sqlite'), '--server', h.baseUrl, '--json'));
    consumerId = json(await run('admin', 'consumers', 'add', 'legacy', '--json')).id;
  });

  it('refuses an HMAC key for a consumer that allows only ed25519, saying how to allow it', async () => {
    const refused = await run('admin', 'keys', 'create-hmac', consumerId);
    expect(refused.code).toBe(5);
    expect(refused.stderr).toContain('does not allow HMAC keys');
  });

  it('allows hmac with "admin consumers modes", then issues a key whose secret goes only to a 0600 file', async () => {
    expect((await run('admin', 'consumers', 'modes', consumerId, 'ed25519,hmac')).stdout).toContain('allowed_modes=ed25519,hmac');
    expect((await run('admin', 'consumers', 'modes', consumerId, 'rsa')).code).toBe(2);
    secretFile = join(dir, 'legacy.secret');
    const issued = await run('admin', 'keys', 'create-hmac', consumerId, '--label', 'device', '--scopes', 'keys', '--secret-out', secretFile);
    expect(issued.code, issued.stderr).toBe(0);
    expect(statSync(secretFile).mode & 0o777).toBe(0o600);
    const secret = readFileSync(secretFile, 'utf8').trim();
    expect(() => parseHmacSecret(secret)).not.toThrow();
    expect(issued.stdout).not.toContain(secret);
    expect(issued.stdout).toMatch(/^key_\w+ {2}hmac {5}active/);
    expect(issued.stderr).toContain('never show it again');
    kid = issued.stdout.split(' ')[0]!;
  });

  it('refuses an existing --secret-out file before asking the server for a key', async () => {
    const before = (await h.stores.credentials.listKeys(consumerId)).length;
    const refused = await run('admin', 'keys', 'create-hmac', consumerId, '--secret-out', secretFile);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('already exists');
    expect(await h.stores.credentials.listKeys(consumerId)).toHaveLength(before);
  });

  it('prints the secret once on stdout without --secret-out, and in the JSON with --json', async () => {
    const printed = await run('admin', 'keys', 'create-hmac', consumerId);
    expect(printed.stdout.trim().split('\n')[1]).toMatch(/^sgnt_hs_[0-9A-Za-z]{49}$/);
    expect(printed.stderr).toContain('only time the secret is shown');
    const asJson = json(await run('admin', 'keys', 'create-hmac', consumerId, '--json'));
    expect(asJson).toMatchObject({ key: { type: 'hmac' }, secret: expect.stringMatching(/^sgnt_hs_/) });
  });

  it('signs requests with --secret-file, with --key pointing at a secret file, and through a profile', async () => {
    const viaSecret = json(await run('request', 'GET', '/v1/whoami', '--server', h.baseUrl, '--kid', kid, '--secret-file', secretFile, '--json'));
    expect(viaSecret).toMatchObject({ status: 200, body: { key_id: kid, mode: 'hmac' } });
    const viaKey = json(await run('request', 'GET', '/v1/whoami', '--server', h.baseUrl, '--kid', kid, '--key', secretFile, '--json'));
    expect(viaKey.body.mode).toBe('hmac');
    expect((await run('profile', 'add', 'legacy', '--server', h.baseUrl, '--kid', kid, '--key', secretFile)).code).toBe(0);
    expect(json(await run('request', 'POST', '/v1/echo', '-d', '{"a":1}', '--profile', 'legacy', '--json')).status).toBe(200);
    const header = await run('sign', 'GET', '/v1/whoami', '--profile', 'legacy', '--json');
    expect(JSON.parse(Buffer.from(json(header).token.split('.')[0], 'base64url').toString()).alg).toBe('HS256');
    expect((await run('request', 'GET', '/v1/whoami', '--profile', 'legacy', '--secret-file', secretFile, '--key', secretFile)).code).toBe(2);
  });

  it('refuses a mistyped secret file offline (exit 8, checksum sentence) and a secret file others can read', async () => {
    const secret = readFileSync(secretFile, 'utf8').trim();
    const typo = join(dir, 'typo.secret');
    writeFileSync(typo, secret.slice(0, 30) + (secret[30] === 'Q' ? 'R' : 'Q') + secret.slice(31) + '\n', { mode: 0o600 });
    const refused = await run('request', 'GET', '/v1/whoami', '--server', 'http://127.0.0.1:1', '--kid', kid, '--secret-file', typo);
    expect(refused.code).toBe(8);
    expect(refused.stderr).toContain('checksum');
    const open = join(dir, 'open.secret');
    writeFileSync(open, secret + '\n');
    chmodSync(open, 0o644);
    const tooOpen = await run('request', 'GET', '/v1/whoami', '--server', h.baseUrl, '--kid', kid, '--secret-file', open);
    expect(tooOpen.code).toBe(8);
    expect(tooOpen.stderr).toContain('chmod 600');
    const notSecret = join(dir, 'not.secret');
    writeFileSync(notSecret, 'hello\n', { mode: 0o600 });
    expect((await run('request', 'GET', '/v1/whoami', '--server', h.baseUrl, '--kid', kid, '--secret-file', notSecret)).stderr).toContain('does not hold a Signet HMAC secret');
  });

  it('keys add-hmac issues another key for your own consumer into a 0600 file and saves a profile for it', async () => {
    const added = await run('keys', 'add-hmac', '--profile', 'legacy', '--label', 'second', '--save-profile', 'legacy2');
    expect(added.code, added.stderr).toBe(0);
    const profiles = JSON.parse(readFileSync(join(dir, 'config', 'config.json'), 'utf8'));
    const second = profiles.profiles.legacy2;
    expect(second.kid).not.toBe(kid);
    expect(statSync(second.key_file).mode & 0o777).toBe(0o600);
    expect(json(await run('request', 'GET', '/v1/whoami', '--profile', 'legacy2', '--json')).body).toMatchObject({ key_id: second.kid, mode: 'hmac' });
  });

  it('keys rotate moves an HMAC profile to a new Ed25519 key', async () => {
    const before = JSON.parse(readFileSync(join(dir, 'config', 'config.json'), 'utf8')).profiles.legacy2;
    const rotated = await run('keys', 'rotate', '--profile', 'legacy2', '--overlap', '0');
    expect(rotated.code, rotated.stderr).toBe(0);
    const after = JSON.parse(readFileSync(join(dir, 'config', 'config.json'), 'utf8')).profiles.legacy2;
    expect(after.kid).not.toBe(before.kid);
    expect(json(await run('request', 'GET', '/v1/whoami', '--profile', 'legacy2', '--json')).body).toMatchObject({ key_id: after.kid, mode: 'ed25519' });
  });

  it('admin keys list shows the type; hmac-report lists every HMAC key with its consumer and last use', async () => {
    const list = await run('admin', 'keys', 'list', consumerId);
    expect(list.stdout).toContain(`${kid}  hmac`);
    expect(list.stdout).toMatch(/last used 2026-/);
    const report = await run('admin', 'keys', 'hmac-report');
    expect(report.code, report.stderr).toBe(0);
    expect(report.stdout).toContain(`${consumerId}  legacy  ${kid}  hmac`);
    expect(report.stderr).toContain('1 consumer(s) still hold an active HMAC key');
    const asJson = json(await run('admin', 'keys', 'hmac-report', '--json'));
    expect(asJson.consumers_with_active_hmac_keys).toBe(1);
    expect(asJson.items.length).toBeGreaterThanOrEqual(4);
  });

  it('switching hmac off refuses the HMAC profile with 403 mode_not_allowed (exit 4)', async () => {
    expect((await run('admin', 'consumers', 'modes', consumerId, 'ed25519')).code).toBe(0);
    const refused = await run('request', 'GET', '/v1/whoami', '--profile', 'legacy');
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain('mode_not_allowed');
  });

  it('admin rotate-master-key adds a version to the development key file and re-encrypts every secret', async () => {
    const rotating = await run('admin', 'rotate-master-key', '--db', join(dir, 'signet.sqlite'), '--json');
    // Not a terminal: progress as plain lines a log can read, no carriage returns.
    expect(rotating.stderr).toMatch(/^re-encrypted \d+\n/m);
    expect(rotating.stderr).not.toContain('\r');
    const rotated = json(rotating);
    expect(rotated).toMatchObject({ version: 2, failed: [] });
    expect(Object.keys(rotated.by_version)).toEqual(['2']);
    expect(readFileSync(join(dir, 'master.key'), 'utf8')).toMatch(/^2:/m);
    expect((await run('admin', 'consumers', 'modes', consumerId, 'ed25519,hmac')).code).toBe(0);
    expect(json(await run('request', 'GET', '/v1/whoami', '--profile', 'legacy', '--json')).status).toBe(200);
    const generated = await run('admin', 'rotate-master-key', '--db', join(dir, 'signet.sqlite'), '--generate');
    expect(generated.stdout).toMatch(/^3:[A-Za-z0-9_-]{43}\n$/);
  });

  it('admin audit shows the rotation as local-operator: the version added, then the secrets re-encrypted, never a secret or key', async () => {
    const moved = json(await run('admin', 'audit', '--action', 'master_key.reencrypt', '--json')).items;
    const secrets = (await h.db('hmac_secrets').pluck('key_id')).map(String);
    expect(secrets).toContain(kid);
    // Fewer than 100 secrets: one batch, one entry.
    expect(moved).toHaveLength(1);
    expect(moved[0]).toMatchObject({ actor: 'local-operator', target: { type: 'master_key', id: '2' }, consumer_id: null, before: { master_key_versions: { '1': secrets.length } } });
    expect(moved[0].after).toEqual({ master_key_versions: { '2': secrets.length }, reencrypted: secrets.length, key_ids: expect.any(Array) });
    expect([...moved[0].after.key_ids].sort()).toEqual([...secrets].sort());
    const added = json(await run('admin', 'audit', '--action', 'master_key.add', '--json')).items;
    expect(added).toEqual([expect.objectContaining({ actor: 'local-operator', target: { type: 'master_key', id: '2' }, after: { master_key_version: 2, keyring_versions: [1, 2] } })]);
    // --generate only prints: it adds nothing to the log.
    expect(added).toHaveLength(1);
    const text = JSON.stringify([...moved, ...added]);
    expect(text).not.toContain(readFileSync(secretFile, 'utf8').trim().slice(8));
    for (const line of readFileSync(join(dir, 'master.key'), 'utf8')
      .split('\n')
      .filter((l) => /^\d+:/.test(l)))
      expect(text).not.toContain(line.split(':')[1]);
    const listed = await run('admin', 'audit', '--action', 'master_key.reencrypt');
    expect(listed.stdout).toMatch(/master_key\.reencrypt\s+master_key 2\s+by local-operator\n/);
  });
});
