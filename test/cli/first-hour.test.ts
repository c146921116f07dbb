import { spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signRequest } from '../../src/client/sign.js';
import { saveKeyPair } from '../../src/client/key-file.js';
import { generateKeyPair } from '../../src/client/keys.js';
import { cliScript, expectNoStackTrace, runCli, withCliUser } from '../helpers/cli-process.js';
import type { LiveServer } from '../helpers/live-server.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** What a new user meets in the first hour, as child processes in a fresh HOME against a live server. */
describe('the CLI as a new user meets it', () => {
  let server: LiveServer;
  let dir: string;
  let env: Record<string, string>;
  withCliUser('signet-first-hour-', (s) => ({ server, dir, env } = s));

  it('--version prints the package version', async () => {
    const result = await runCli(['--version'], env);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`signet ${VERSION}\n`);
  });

  it('"signet admin --help" lists the admin commands, and "signet admin" alone says it needs one', async () => {
    const help = await runCli(['admin', '--help'], env);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: signet admin COMMAND');
    expect(help.stdout).toMatch(/^ {2}admin consumers add {2,}/m);
    expect(help.stdout).toMatch(/^ {2}admin init {2,}/m);
    expect(help.stdout).not.toMatch(/^ {2}keygen/m);
    const bare = await runCli(['admin', 'consumers'], env);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain('"signet admin consumers" needs a command');
    expect(bare.stderr).toMatch(/^ {2}admin consumers list/m);
  });

  it('suggests the command a typo meant, at the right depth, and nothing for nonsense', async () => {
    const deep = await runCli(['admin', 'consumer', 'add', 'acme'], env);
    expect(deep.code).toBe(2);
    expect(deep.stderr).toContain('did you mean "signet admin consumers add"?');
    const top = await runCli(['keygne', '--out', 'x.pem'], env);
    expect(top.code).toBe(2);
    expect(top.stderr).toContain('did you mean "signet keygen"?');
    const nonsense = await runCli(['frobnicate'], env);
    expect(nonsense.code).toBe(2);
    expect(nonsense.stderr).not.toContain('did you mean');
  });

  it('completion bash completes command words, group words and flags in a real bash', async () => {
    const script = await runCli(['completion', 'bash'], env);
    expect(script.code).toBe(0);
    const file = join(dir, 'signet-completion.bash');
    writeFileSync(file, script.stdout);
    const complete = (...words: string[]) => {
      const bash = `source ${JSON.stringify(file)}; COMP_WORDS=(signet ${words.map((w) => JSON.stringify(w)).join(' ')}); COMP_CWORD=${words.length}; _signet; printf '%s\\n' "\${COMPREPLY[@]}"`;
      const run = spawnSync('bash', ['-c', bash], { encoding: 'utf8' });
      expect(run.stderr).toBe('');
      return run.stdout.trim().split('\n').filter(Boolean);
    };
    expect(complete('adm')).toEqual(['admin']);
    expect(complete('admin', 'consumers', 'a')).toEqual(['add']);
    expect(complete('keygen', '--f')).toEqual(['--format', '--force']);
    expect(complete('profile', '')).toEqual(expect.arrayContaining(['add', 'list', 'rm', 'show']));
    const zsh = await runCli(['completion', 'zsh'], env);
    expect(zsh.code).toBe(0);
    expect(zsh.stdout).toContain('bashcompinit');
    expect(zsh.stdout).toContain('complete -o default -F _signet signet');
    expect((await runCli(['completion', 'fish'], env)).stderr).toContain('bash or zsh');
  });

  it('keygen without --out writes into the per-user keys folder, not the current one', async () => {
    const result = await runCli(['keygen', '--json'], env, { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    const made = JSON.parse(result.stdout) as { private_key_file: string };
    expect(made.private_key_file).toBe(join(dir, 'keys', 'signet-key.pem'));
    expect(statSync(made.private_key_file).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(ROOT, '.gitignore'), 'utf8')).toMatch(/^\*\.pem$/m);
  });

  describe('a consumer registered by the operator, then an admin', () => {
    let key: string;
    let kid: string;
    beforeAll(async () => {
      key = join(dir, 'acme.pem');
      await saveKeyPair(await generateKeyPair(), key);
      const add = await runCli(['consumers', 'add', 'acme', '--public-key', `${key}.pub`, '--db', server.config.db, '--json'], env);
      kid = (JSON.parse(add.stdout) as { key_id: string }).key_id;
      expect((await runCli(['profile', 'add', 'acme', '--server', server.url, '--kid', kid, '--key', key], env)).code).toBe(0);
    });

    it('a key made by "consumers add" gets the keys scope by default, as an enrolled key does: keys list works', async () => {
      const list = await runCli(['keys', 'list', '--json'], env);
      expect(list.code, list.stderr).toBe(0);
      expect(JSON.stringify(JSON.parse(list.stdout))).toContain(kid);
    });

    it('after admin init, an admin command signed with the old default profile says which profile signed and to use --profile admin', async () => {
      const init = await runCli(['admin', 'init', '--db', server.config.db, '--server', server.url], env);
      expect(init.code, init.stderr).toBe(0);
      const refused = await runCli(['admin', 'consumers', 'add', 'other'], env);
      expect(refused.code).toBe(4);
      expect(refused.stderr).toContain('insufficient_scope');
      expect(refused.stderr).toContain(`signed with the profile "acme" (key ${kid})`);
      expect(refused.stderr).toContain('--profile admin');
      const viaRequest = await runCli(['request', 'GET', '/admin/v1/consumers'], env);
      expect(viaRequest.code).toBe(4);
      expect(viaRequest.stderr).toContain('--profile admin');
      expect((await runCli(['admin', 'consumers', 'add', 'other', '--profile', 'admin'], env)).code).toBe(0);
    });

    it('a wrong kid gets the hint about the key file and --explain without --explain', async () => {
      const other = join(dir, 'other.pem');
      await saveKeyPair(await generateKeyPair(), other);
      const refused = await runCli(['request', 'GET', '/v1/whoami', '--key', other], env);
      expect(refused.code).toBe(3);
      expect(refused.stderr).toContain('invalid_token');
      expect(refused.stderr).toContain('Check that the kid belongs to this key file');
      expect(refused.stderr).toContain('--explain');
    });

    it('the .pub file passed as --key is named a public key, not a permissions problem', async () => {
      const refused = await runCli(['request', 'GET', '/v1/whoami', '--key', `${key}.pub`], env);
      expect(refused.code).toBe(8);
      expect(refused.stderr).toContain(`${key}.pub holds a public key; sign with the private key file (${key})`);
      expect(refused.stderr).not.toContain('chmod');
      expectNoStackTrace(refused);
    });

    it('profile rm removes a profile and keeps its key file; an unknown name is a usage error', async () => {
      expect((await runCli(['profile', 'add', 'spare', '--server', server.url, '--kid', kid, '--key', key], env)).code).toBe(0);
      const removed = await runCli(['profile', 'rm', 'spare'], env);
      expect(removed.code).toBe(0);
      expect(removed.stderr).toContain('is kept');
      const names = Object.keys((JSON.parse((await runCli(['profile', 'list', '--json'], env)).stdout) as { profiles: object }).profiles);
      expect(names).not.toContain('spare');
      expect(names).toContain('acme');
      expect(statSync(key).isFile()).toBe(true);
      const unknown = await runCli(['profile', 'rm', 'spare'], env);
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toContain('No profile named "spare"');
    });
  });

  describe('serve on a port already in use', () => {
    let taken: Server;
    beforeAll(async () => {
      taken = createServer();
      await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    });
    afterAll(async () => new Promise<void>((resolve) => taken.close(() => resolve())));

    it('says the port is in use and how to pick another, not "unexpected failure: EADDRINUSE"', async () => {
      const port = String((taken.address() as AddressInfo).port);
      const result = await runCli(['serve', '--port', port, '--db', join(dir, 'busy.sqlite')], { ...env, SIGNET_LOG_LEVEL: 'silent' });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`port ${port} on 127.0.0.1 is already in use`);
      expect(result.stderr).toContain('--port');
      expect(result.stderr).not.toContain('unexpected failure');
    });
  });

  it('an expired token is explained with readable times and the difference', async () => {
    await cliScript();
    const pair = await generateKeyPair();
    const kid = await server.register(pair.publicKey, 'late');
    const issued = Date.now() - 10 * 60_000;
    const signed = await signRequest({ method: 'GET', url: `${server.url}/v1/whoami`, key: pair, kid, now: issued });
    const response = await fetch(`${server.url}/v1/whoami`, { headers: { Authorization: signed.authorization } });
    const problem = (await response.json()) as { code: string; detail: string };
    expect(problem.code).toBe('token_expired');
    const exp = Math.floor(issued / 1000) + 60;
    expect(problem.detail).toContain(`expired at ${new Date(exp * 1000).toISOString().replace('.000Z', 'Z')} (${exp})`);
    expect(problem.detail).toMatch(/, \d{3} s before the server's time \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(\d+\) \(60 s of clock skew is allowed\)/);
  });
});
