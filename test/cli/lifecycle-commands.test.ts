import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { printedJson as json, runInProcess as run, withCliHarness } from '../helpers/cli-process.js';
import type { Harness } from '../helpers/harness.js';

/**
 * The lifecycle CLI in process against a real server (ManualClock, SQLite file shared with
 * `admin init`). The CLI signs with the real clock; it corrects itself once from the server's
 * time, as the client kit does, so the server's clock can be moved freely.
 */
describe('the lifecycle CLI', () => {
  let h: Harness;
  let dir: string;
  let configFile: string;
  let consumerId: string;
  let code: string;

  const profiles = () => JSON.parse(readFileSync(configFile, 'utf8')) as { default_profile: string; profiles: Record<string, { kid: string; key_file: string; server: string }> };

  withCliHarness('signet-lifecycle-cli-', (s) => ({ h, dir, configFile } = s));

  it('admin init creates a local admin key (mode 0600), registers it in the database and saves the default profile', async () => {
    const result = json(await run('admin', 'init', '--db', join(dir, 'signet.sqlite'), '--server', h.baseUrl, '--json'));
    expect(statSync(result.key_file).mode & 0o777).toBe(0o600);
    expect(profiles()).toMatchObject({ default_profile: 'admin', profiles: { admin: { kid: result.kid, server: h.baseUrl, key_file: result.key_file } } });
    const found = await h.stores.credentials.findKey(result.kid);
    expect(found?.key.scopes).toEqual(['admin', 'keys']);
    const again = await run('admin', 'init', '--db', join(dir, 'signet.sqlite'), '--server', h.baseUrl);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('already exists');
  });

  it('admin consumers add creates a consumer with plan and metadata', async () => {
    const consumer = json(await run('admin', 'consumers', 'add', 'acme', '--plan', 'internal', '--metadata', 'team=billing', '--metadata', 'seats=3', '--json'));
    expect(consumer).toMatchObject({ name: 'acme', plan: 'internal', metadata: { team: 'billing', seats: 3 } });
    consumerId = consumer.id;
    const updated = json(await run('admin', 'consumers', 'update', consumerId, '--name', 'acme-corp', '--metadata', 'team=payments', '--json'));
    expect(updated).toMatchObject({ name: 'acme-corp', plan: 'internal', metadata: { team: 'payments' } });
    const shown = await run('admin', 'consumers', 'show', consumerId);
    expect(shown.stdout).toContain('acme-corp');
    expect((await run('admin', 'consumers', 'update', consumerId)).code).toBe(2);
  });

  it('admin enroll-code prints a one-time code and the command the consumer runs', async () => {
    const result = await run('admin', 'enroll-code', consumerId, '--ttl', '2h');
    expect(result.code).toBe(0);
    code = result.stdout.trim();
    expect(code).toMatch(/^sgnt_enroll_/);
    expect(result.stderr).toContain(`signet enroll --server ${h.baseUrl} --code ${code}`);
  });

  it('admin enroll-code refuses the admin scope without --grant-admin, and warns when it is given', async () => {
    // A consumer of its own, so the audit trail checked below stays as it is.
    const other = json(await run('admin', 'consumers', 'add', 'deputy', '--json')).id as string;
    const refused = await run('admin', 'enroll-code', other, '--scopes', 'admin,keys');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--grant-admin');
    const granted = await run('admin', 'enroll-code', other, '--scopes', 'admin,keys', '--grant-admin');
    expect(granted.code).toBe(0);
    expect(granted.stderr).toMatch(/warning: .*becomes an admin/);
    expect(granted.stdout.trim()).toMatch(/^sgnt_enroll_/);
  });

  it('enroll generates the key pair locally, uploads the public key with a proof and saves a profile', async () => {
    const enrolled = json(await run('enroll', '--server', h.baseUrl, '--code', code, '--profile', 'acme', '--label', 'laptop', '--json'));
    expect(enrolled).toMatchObject({ consumer_id: consumerId, key: { label: 'laptop', scopes: ['keys'] } });
    const profile = profiles().profiles.acme!;
    expect(profile.kid).toBe(enrolled.key.id);
    expect(statSync(profile.key_file).mode & 0o777).toBe(0o600);
    const listed = json(await run('keys', 'list', '--profile', 'acme', '--json'));
    expect(listed.items.map((k: { id: string }) => k.id)).toEqual([enrolled.key.id]);
  });

  it('enroll with a used code fails (exit 3), writes no profile and leaves no key file behind', async () => {
    const keysBefore = readdirSync(join(dir, 'config', 'keys')).length;
    const reused = await run('enroll', '--server', h.baseUrl, '--code', code, '--profile', 'thief');
    expect(reused.code).toBe(3);
    expect(reused.stderr).toContain('invalid_enrollment_code');
    expect(profiles().profiles.thief).toBeUndefined();
    expect(readdirSync(join(dir, 'config', 'keys')).length).toBe(keysBefore);
  });

  it('a consumer key cannot use the admin commands (exit 4, naming the admin scope)', async () => {
    const refused = await run('admin', 'consumers', 'list', '--profile', 'acme');
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain('insufficient_scope');
    expect(refused.stderr).toContain('admin');
  });

  let ciKid: string;
  it('keys add registers a second key and can save a profile for it', async () => {
    const added = json(await run('keys', 'add', '--profile', 'acme', '--label', 'ci', '--save-profile', 'acme-ci', '--json'));
    ciKid = added.id;
    expect(profiles().profiles['acme-ci']!.kid).toBe(ciKid);
    expect(json(await run('keys', 'list', '--profile', 'acme-ci', '--json')).items).toHaveLength(2);
  });

  it('keys rotate switches the profile; the old key works during the overlap and fails after it', async () => {
    const old = profiles().profiles.acme!;
    const rotated = json(await run('keys', 'rotate', '--profile', 'acme', '--overlap', '1h', '--json'));
    expect(rotated.previous.id).toBe(old.kid);
    expect(profiles().profiles.acme!.kid).toBe(rotated.key.id);
    const withOld = ['keys', 'list', '--profile', 'acme', '--kid', old.kid, '--key', old.key_file];
    h.clock.advance(3599_000);
    expect((await run(...withOld)).code).toBe(0);
    h.clock.advance(2000);
    const expired = await run(...withOld);
    expect(expired.code).toBe(3);
    expect(expired.stderr).toContain('key_expired');
    expect((await run('keys', 'list', '--profile', 'acme')).code).toBe(0);
  });

  it('keys revoke refuses the key on the very next request', async () => {
    expect((await run('keys', 'revoke', ciKid, '--profile', 'acme')).code).toBe(0);
    const refused = await run('keys', 'list', '--profile', 'acme-ci');
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('key_revoked');
  });

  it('admin consumers disable cuts the consumer off at once, and enable restores it', async () => {
    expect((await run('admin', 'consumers', 'disable', consumerId)).code).toBe(0);
    const listed = json(await run('admin', 'consumers', 'list', '--status', 'disabled', '--json'));
    expect(listed.items.map((c: { id: string }) => c.id)).toEqual([consumerId]);
    const refused = await run('keys', 'list', '--profile', 'acme');
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain('consumer_disabled');
    expect((await run('admin', 'consumers', 'enable', consumerId)).code).toBe(0);
    expect((await run('keys', 'list', '--profile', 'acme')).code).toBe(0);
  });

  it('keys revoke of the last active key needs --force', async () => {
    const current = profiles().profiles.acme!.kid;
    const refused = await run('keys', 'revoke', current, '--profile', 'acme');
    expect(refused.code).toBe(5);
    expect(refused.stderr).toContain('--force');
    expect((await run('keys', 'revoke', current, '--profile', 'acme', '--force')).code).toBe(0);
    expect((await run('keys', 'list', '--profile', 'acme')).code).toBe(3);
  });

  it('admin keys list and revoke work on any consumer', async () => {
    const keys = json(await run('admin', 'keys', 'list', consumerId, '--json'));
    expect(keys.items.map((k: { status: string }) => k.status).sort()).toEqual(['expired', 'revoked', 'revoked']);
    const again = json(await run('admin', 'keys', 'revoke', ciKid, '--json'));
    expect(again.status).toBe('revoked');
  });

  it('admin audit shows every step, filtered by consumer', async () => {
    const audit = json(await run('admin', 'audit', '--consumer', consumerId, '--json'));
    expect(audit.items.map((e: { action: string }) => e.action).reverse()).toEqual([
      'consumer.create',
      'consumer.update',
      'enrollment_code.create',
      'key.enroll',
      'key.create',
      'key.create',
      'key.rotate',
      'key.revoke',
      'consumer.disable',
      'consumer.enable',
      'key.revoke',
    ]);
    const human = await run('admin', 'audit', '--consumer', consumerId, '--action', 'key.revoke');
    expect(human.stdout.trim().split('\n')).toHaveLength(2);
    const local = json(await run('admin', 'audit', '--actor', 'local-operator', '--json'));
    expect(local.items.map((e: { action: string }) => e.action).sort()).toEqual(['consumer.create', 'key.create']);
  });

  it('admin enroll-codes list shows codes by state, and cancel withdraws one so it cannot enroll', async () => {
    const other = json(await run('admin', 'consumers', 'add', 'initech', '--json'));
    const issued = json(await run('admin', 'enroll-code', other.id, '--json'));
    const listed = await run('admin', 'enroll-codes', 'list', other.id, '--state', 'pending');
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`^${issued.id}  pending  +\\[keys\\]  expires `));
    expect(listed.stdout).not.toContain(issued.code);
    const cancelled = await run('admin', 'enroll-codes', 'cancel', issued.id);
    expect(cancelled.code, cancelled.stderr).toBe(0);
    expect(cancelled.stdout).toContain(`${issued.id}  cancelled  [keys]  cancelled `);
    expect(json(await run('admin', 'enroll-codes', 'list', other.id, '--state', 'pending', '--json')).items).toEqual([]);
    const refused = await run('enroll', '--server', h.baseUrl, '--code', issued.code, '--profile', 'initech');
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('invalid_enrollment_code');
    const [used] = json(await run('admin', 'enroll-codes', 'list', consumerId, '--state', 'used', '--json')).items;
    const conflict = await run('admin', 'enroll-codes', 'cancel', used.id);
    expect(conflict.code).toBe(5);
    expect(conflict.stderr).toContain('error conflict');
    expect((await run('admin', 'enroll-codes', 'list')).code).toBe(2);
  });

  it('admin consumers set-directory registers a key directory URL with scopes, refuses a private address, and clear-directory removes it', async () => {
    const publisher = json(await run('admin', 'consumers', 'add', 'publisher', '--json')).id as string;
    const refused = await run('admin', 'consumers', 'set-directory', publisher, 'https://10.0.0.1/jwks.json');
    expect(refused.code).toBe(5);
    expect(refused.stderr).toContain('url:');
    const set = await run('admin', 'consumers', 'set-directory', publisher, 'https://keys.example.com/jwks.json', '--scopes', 'reports:read');
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toContain(`${publisher}  key directory https://keys.example.com/jwks.json  [reports:read]`);
    expect(set.stdout).toContain(`its keys sign as ${publisher}_<kid>`);
    const cleared = json(await run('admin', 'consumers', 'clear-directory', publisher, '--json'));
    expect(cleared.key_directory).toBeNull();
    const audit = json(await run('admin', 'audit', '--consumer', publisher, '--json')).items.map((e: { action: string }) => e.action);
    expect(audit).toEqual(['key_directory.clear', 'key_directory.set', 'consumer.create']);
  });

  it('admin consumers rm deletes the consumer', async () => {
    expect((await run('admin', 'consumers', 'rm', consumerId)).code).toBe(0);
    const gone = await run('admin', 'consumers', 'show', consumerId);
    expect(gone.code).toBe(5);
    expect(gone.stderr).toContain('not_found');
  });

  it('reports usage errors with exit 2 and bad fields with their paths', async () => {
    expect((await run('admin', 'enroll-code')).code).toBe(2);
    expect((await run('keys', 'rotate', '--overlap', 'soon')).code).toBe(2);
    const bad = await run('admin', 'consumers', 'add', ' ', '--plan', 'no spaces allowed');
    expect(bad.code).toBe(5);
    expect(bad.stderr).toContain('name:');
    expect(bad.stderr).toContain('plan:');
    const unreachable = await run('enroll', '--server', 'http://127.0.0.1:1', '--code', 'x', '--profile', 'nowhere');
    expect(unreachable.code).toBe(7);
    expect(existsSync(join(dir, 'config', 'keys'))).toBe(true);
  });
});
