import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { importEd25519PublicKey } from '../../src/protocol/public-key.js';
import { expectNoStackTrace, runCli, withCliUser } from '../helpers/cli-process.js';
import type { LiveServer } from '../helpers/live-server.js';

const ANSI = /\u001b\[/;

describe('consumer CLI commands against a running server', () => {
  let server: LiveServer;
  let dir: string;
  let keyFile: string;
  let kid: string;
  /** The environment of a user with a "dev" profile pointing at the server. */
  let env: Record<string, string>;

  withCliUser('signet-cli-', (s) => ({ server, dir, env } = s));
  beforeAll(async () => {
    keyFile = join(dir, 'dev.openssh');
    const keygen = await runCli(['keygen', '--format', 'openssh', '--out', keyFile, '--comment', 'dev@test', '--json'], env);
    expect(keygen.code).toBe(0);
    const made = JSON.parse(keygen.stdout) as { public_key: string; public_key_file: string; private_key_file: string; thumbprint: string };
    expect(made.public_key).toMatch(/^ssh-ed25519 \S+ dev@test$/);
    kid = await server.register(importEd25519PublicKey(readFileSync(made.public_key_file, 'utf8')));
    const add = await runCli(['profile', 'add', 'dev', '--server', server.url, '--kid', kid, '--key', keyFile], env);
    expect(add.code).toBe(0);
  });

  it('keygen writes the private key with mode 0600 and refuses to overwrite it (exit 8)', async () => {
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(keyFile, 'utf8')).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----/);
    const again = await runCli(['keygen', '--format', 'openssh', '--out', keyFile], env);
    expect(again.code).toBe(8);
    expect(again.stderr).toContain('already exists');
    expectNoStackTrace(again);
  });

  it('request GET PATH uses the default profile and prints the response body (exit 0)', async () => {
    const result = await runCli(['request', 'GET', '/v1/whoami'], env);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('HTTP 200');
    expect(JSON.parse(result.stdout)).toMatchObject({ key_id: kid, consumer_name: 'cli-user' });
  });

  it('request POST with -d @FILE and --json sends the file byte for byte', async () => {
    const bodyFile = join(dir, 'body.txt');
    writeFileSync(bodyFile, 'line one\nline two\n');
    const result = await runCli(['request', 'POST', `${server.url}/v1/echo`, '-d', `@${bodyFile}`, '-H', 'Content-Type: text/plain', '--json'], env);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ status: 200, body: { body: 'line one\nline two\n', length: 18 } });
  });

  it('request -d @- signs and sends standard input byte for byte', async () => {
    const result = await runCli(['request', 'POST', '/v1/echo', '-d', '@-', '--json'], env, { input: 'from stdin\n' });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ status: 200, body: { body: 'from stdin\n', length: 11 } });
  });

  it('request --explain prints the claims, and on a refusal the expected-versus-received diff without colour off a terminal (exit 3)', async () => {
    // localhost is not the server's public origin (127.0.0.1): the audience, the first binding checked, fails.
    const elsewhere = server.url.replace('127.0.0.1', 'localhost');
    const result = await runCli(['request', 'GET', `${elsewhere}/v1/whoami`, '--explain'], env);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('signed claims:');
    expect(result.stderr).toMatch(new RegExp(`url\\s+${elsewhere}/v1/whoami`));
    expect(result.stderr).toContain('error audience_mismatch');
    expect(result.stderr).toContain(`- expected (server): ${server.url}\n`);
    expect(result.stderr).toContain(`+ received (token):  ${elsewhere}\n`);
    expect(result.stderr).toContain('^ first difference at character 8');
    expect(result.stderr).toContain("Sign for the server's audience");
    expect(result.stderr).not.toMatch(ANSI);
    expectNoStackTrace(result);
  });

  it('request corrects a clock 10 minutes off once and succeeds, showing both signings with --explain', async () => {
    server.clock.offsetMs = 10 * 60_000;
    try {
      const result = await runCli(['request', 'GET', '/v1/whoami', '--explain'], env);
      expect(result.code).toBe(0);
      expect(result.stderr.match(/signed claims/g)).toHaveLength(2);
      expect(result.stderr).toContain('retry after correcting the clock');
    } finally {
      server.clock.offsetMs = 0;
    }
  });

  it('request with an unknown key id is refused with exit 3 and a hint', async () => {
    const result = await runCli(['request', 'GET', '/v1/whoami', '--kid', 'key_0000000000000000000000', '--explain'], env);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('error invalid_token');
    expect(result.stderr).toContain('Check that the kid belongs to this key file');
  });

  it('request --json on a refusal prints the problem body as JSON', async () => {
    const result = await runCli(['request', 'GET', '/v1/whoami', '--kid', 'key_0000000000000000000000', '--json'], env);
    expect(result.code).toBe(3);
    expect(JSON.parse(result.stdout)).toMatchObject({ status: 401, body: { code: 'invalid_token', request_id: expect.any(String) } });
  });

  it('request exits 5 for a 404 and 7 for a server that is not there', async () => {
    const missing = await runCli(['request', 'GET', '/v1/nothing-here'], env);
    expect(missing.code).toBe(5);
    const unreachable = await runCli(['request', 'GET', 'http://127.0.0.1:1/v1/whoami'], env);
    expect(unreachable.code).toBe(7);
    expect(unreachable.stderr).toContain('cannot reach http://127.0.0.1:1');
    expectNoStackTrace(unreachable);
  });

  it('SIGNET_* variables override the profile, and --profile names a missing profile as a usage error (exit 2)', async () => {
    const overridden = await runCli(['request', 'GET', '/v1/whoami'], { ...env, SIGNET_KID: 'key_0000000000000000000000' });
    expect(overridden.code).toBe(3);
    const missing = await runCli(['request', 'GET', '/v1/whoami', '--profile', 'nope'], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('No profile named "nope"');
  });

  it('refuses a private key file readable by others, saying how to fix it (exit 8)', async () => {
    const open = join(dir, 'open-key.pem');
    writeFileSync(open, readFileSync(keyFile));
    chmodSync(open, 0o644);
    const result = await runCli(['request', 'GET', '/v1/whoami', '--key', open], env);
    expect(result.code).toBe(8);
    expect(result.stderr).toContain(`chmod 600 ${open}`);
    expectNoStackTrace(result);
  });

  it('sign prints an Authorization header line that the server accepts once', async () => {
    const result = await runCli(['sign', 'POST', '/v1/echo', '-d', '{"a":1}'], env);
    expect(result.code).toBe(0);
    const header = result.stdout.trim();
    expect(header).toMatch(/^Authorization: Signet [\w-]+\.[\w-]+\.[\w-]+$/);
    const authorization = header.slice('Authorization: '.length);
    const send = () => fetch(`${server.url}/v1/echo`, { method: 'POST', headers: { Authorization: authorization }, body: '{"a":1}' });
    expect((await send()).status).toBe(200);
    expect(await (await send()).json()).toMatchObject({ code: 'token_replayed' });
  });

  it('presign --ttl 5m prints a link that works once', async () => {
    const result = await runCli(['presign', '/v1/whoami', '--ttl', '5m', '--json'], env);
    expect(result.code).toBe(0);
    const link = JSON.parse(result.stdout) as { url: string; claims: { iat: number; exp: number } };
    expect(link.claims.exp - link.claims.iat).toBe(300);
    expect((await fetch(link.url)).status).toBe(200);
    expect((await fetch(link.url)).status).toBe(401);
  });

  it('presign refuses a lifetime above 300 s as a usage error (exit 2)', async () => {
    const result = await runCli(['presign', '/v1/whoami', '--ttl', '6m'], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('1 to 300 seconds');
  });

  it('profile list and show report the profile, and show marks environment overrides', async () => {
    const list = await runCli(['profile', 'list'], env);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(`* dev  ${server.url}  ${kid}  ${keyFile}`);
    const show = await runCli(['profile', 'show', '--json'], { ...env, SIGNET_SERVER: 'https://other.example' });
    expect(JSON.parse(show.stdout)).toEqual({ profile: 'dev', server: 'https://other.example', kid, key_file: keyFile });
  });

  it('a client command without a key says where a key can come from (exit 2)', async () => {
    const result = await runCli(['sign', 'GET', 'https://api.example.com/v1/whoami'], { HOME: dir, SIGNET_CONFIG: join(dir, 'none.json') });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('No private key: pass --key FILE or set SIGNET_KEY_FILE');
  });

  it('--help works on every consumer command', async () => {
    const result = await runCli(['request', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^signet request METHOD PATH\|URL/);
    expect(result.stdout).toContain('Exit codes');
  });
});
