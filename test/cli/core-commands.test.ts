import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/main.js';
import { saveKeyPair } from '../../src/client/key-file.js';
import { generateKeyPair } from '../../src/client/keys.js';
import { importEd25519PublicKey, publicKeyToPem } from '../../src/protocol/public-key.js';
import { expectNoStackTrace, runCli, runInProcess, STACK_TRACE, withCliUser } from '../helpers/cli-process.js';
import type { LiveServer } from '../helpers/live-server.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('operator commands (keygen, consumers add, migrate, request) as a user runs them', () => {
  let server: LiveServer;
  let dir: string;
  let env: Record<string, string>;
  withCliUser('signet-core-cli-', (s) => ({ server, dir, env } = s));

  it('keygen writes a 0600 private key and a .pub file, and prints the public key', async () => {
    const out = join(dir, 'walk.pem');
    const result = await runCli(['keygen', '--out', out], env);
    expect(result.code).toBe(0);
    expectNoStackTrace(result);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(readFileSync(out, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    const pub = readFileSync(`${out}.pub`, 'utf8');
    expect(result.stdout.trim()).toBe(pub.trim());
    expect(importEd25519PublicKey(pub)).toHaveLength(32);
    expect(result.stderr).toContain('0600');
  });

  it('keygen --json names both files and the public key', async () => {
    const out = join(dir, 'json.pem');
    const result = await runCli(['keygen', '--out', out, '--json'], env);
    expect(result.code).toBe(0);
    const made = JSON.parse(result.stdout) as Record<string, string>;
    expect(made).toMatchObject({ private_key_file: out, public_key_file: `${out}.pub` });
    expect(made.public_key).toBe(readFileSync(`${out}.pub`, 'utf8').trim());
  });

  it('walks the README path: keygen, consumers add --json, then a signed request gets 200', async () => {
    const key = join(dir, 'readme.pem');
    expect((await runCli(['keygen', '--out', key], env)).code).toBe(0);
    const add = await runCli(['consumers', 'add', 'readme-user', '--public-key', `${key}.pub`, '--db', server.config.db, '--json'], env);
    expect(add.code).toBe(0);
    expectNoStackTrace(add);
    const ids = JSON.parse(add.stdout) as { consumer_id: string; key_id: string; thumbprint: string };
    expect(ids.consumer_id).toMatch(/^con_[0-9A-Za-z]{22}$/);
    expect(ids.key_id).toMatch(/^key_[0-9A-Za-z]{22}$/);
    expect(ids.thumbprint).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const ok = await runCli(['request', 'GET', `${server.url}/v1/whoami`, '--key', key, '--kid', ids.key_id], env);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ consumer_id: ids.consumer_id, consumer_name: 'readme-user', key_id: ids.key_id });

    const echo = await runCli(['request', 'POST', `${server.url}/v1/echo`, '-d', '{"a":1}', '--key', key, '--kid', ids.key_id, '--json'], env);
    expect(echo.code).toBe(0);
    expect(JSON.parse(echo.stdout)).toMatchObject({ status: 200, body: { body: '{"a":1}', length: 7 } });
  });

  /** A key pair on disk, made in this process: for tests about other commands than keygen. */
  async function keyFile(name: string): Promise<string> {
    const path = join(dir, name);
    await saveKeyPair(await generateKeyPair(), path);
    return path;
  }

  it('consumers add prints the ids as text without --json', async () => {
    const key = await keyFile('text.pem');
    const add = await runCli(['consumers', 'add', 'text-user', '--public-key', `${key}.pub`, '--db', server.config.db], env);
    expect(add.code).toBe(0);
    expect(add.stdout).toMatch(/con_[0-9A-Za-z]{22}/);
    expect(add.stdout).toMatch(/key_[0-9A-Za-z]{22}/);
  });

  it('consumers add refuses a public key registered before with exit 8 and a sentence', async () => {
    const key = await keyFile('dup.pem');
    expect((await runCli(['consumers', 'add', 'first', '--public-key', `${key}.pub`, '--db', server.config.db], env)).code).toBe(0);
    const again = await runCli(['consumers', 'add', 'second', '--public-key', `${key}.pub`, '--db', server.config.db], env);
    expect(again.code).toBe(8);
    expect(again.stderr).toMatch(/already registered\./);
    expectNoStackTrace(again);
  });

  it('consumers add refuses private-key material and small-order keys with exit 8, saying why', async () => {
    const key = await keyFile('private.pem');
    const privateUpload = await runCli(['consumers', 'add', 'oops', '--public-key', key, '--db', server.config.db], env);
    expect(privateUpload.code).toBe(8);
    expect(privateUpload.stderr).toMatch(/private/i);
    expectNoStackTrace(privateUpload);
    const identity = join(dir, 'identity.pub');
    writeFileSync(identity, publicKeyToPem(Uint8Array.from([1, ...new Array<number>(31).fill(0)])));
    const smallOrder = await runCli(['consumers', 'add', 'evil', '--public-key', identity, '--db', server.config.db], env);
    expect(smallOrder.code).toBe(8);
    expect(smallOrder.stderr).toMatch(/small-order/);
    expectNoStackTrace(smallOrder);
  });

  it('consumers add without NAME or --public-key is a usage error (exit 2)', async () => {
    const noKey = await runInProcess('consumers', 'add', 'x', '--db', server.config.db);
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain('--public-key is required');
    const noName = await runInProcess('consumers', 'add', '--public-key', 'x.pub');
    expect(noName.code).toBe(2);
    expect(noName.stderr).toContain('NAME is required');
  });

  it('consumers add with a missing key file says so (exit 8)', async () => {
    const result = await runCli(['consumers', 'add', 'x', '--public-key', join(dir, 'nope.pub'), '--db', server.config.db], env);
    expect(result.code).toBe(8);
    expect(result.stderr).toContain('Cannot read the public key file');
  });

  it('migrate creates a database, is idempotent, and --down drops the tables', async () => {
    const db = join(dir, 'migrate', 'signet.sqlite');
    const up = await runCli(['migrate', '--db', db], env);
    expect(up.code).toBe(0);
    const migrations = readdirSync(join(ROOT, 'migrations')).filter((name) => /\.(ts|js)$/.test(name)).length;
    expect(up.stdout).toContain(`applied ${migrations} migrations;`);
    expect(up.stdout).toContain('up to date (0 pending)');
    expect(existsSync(db)).toBe(true);
    const second = await runInProcess('migrate', '--db', db);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('applied 0 migrations;');
    const down = await runCli(['migrate', '--db', db, '--down'], env);
    expect(down.code).toBe(0);
    expect(down.stdout).toContain('rolled back');
    const again = await runCli(['migrate'], { ...env, SIGNET_DB: db });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(db);
  });

  it('an invalid SIGNET_* setting is a usage error naming the variable, not a stack trace', async () => {
    const result = await runCli(['migrate'], { ...env, SIGNET_DB: join(dir, 'x.sqlite'), SIGNET_CLOCK_SKEW: 'soon' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('SIGNET_CLOCK_SKEW');
    expectNoStackTrace(result);
  });

  it('an unknown command exits 2 and prints the overview', async () => {
    const result = await runCli(['frobnicate'], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown command "frobnicate"');
    expect(result.stderr).toContain('Usage: signet COMMAND');
    expectNoStackTrace(result);
  });
});

describe('help', () => {
  it.each(COMMANDS.map((c) => [c.path.join(' '), c.path] as const))('signet %s --help prints its usage and exits 0', async (_, path) => {
    const result = await runInProcess(...path, '--help');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`signet ${path.join(' ')}`);
    expect(result.stderr).toBe('');
  });

  it('signet --help lists every command; signet alone prints it and exits 2', async () => {
    const help = await runInProcess('--help');
    expect(help.code).toBe(0);
    for (const command of COMMANDS) expect(help.stdout).toContain(command.path.join(' '));
    expect((await runInProcess()).code).toBe(2);
  });

  it('an unknown flag is a usage error with the usage line', async () => {
    const result = await runInProcess('migrate', '--frob');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Usage: signet migrate');
    expect(result.stderr).not.toMatch(STACK_TRACE);
  });
});

/** `signet serve ARGS` as a child process; the test must call stop() (it kills a child still running). */
function spawnServe(args: string[], dir: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test/helpers/cli-entry.ts'), 'serve', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, SIGNET_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const listening = new Promise<string>((resolve, reject) => {
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
      if (match !== null) resolve(match[1]!);
    });
    void exited.then((code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
  });
  listening.catch(() => undefined);
  /** Resolves with the exit code, or undefined when the child had to be killed after `graceMs`. */
  const exitWithin = (graceMs: number) => Promise.race([exited, delay(graceMs, undefined, { ref: false })]);
  return {
    child,
    listening,
    exitWithin,
    stderr: () => stderr,
    async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null | undefined> {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      const code = await exitWithin(10_000);
      if (code === undefined) child.kill('SIGKILL');
      return code;
    },
  };
}

describe('signet serve', () => {
  it('starts on SQLite, answers /healthz, and stops cleanly on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'signet-serve-'));
    const db = join(dir, 'data', 'signet.sqlite');
    const serve = spawnServe(['--port', '0', '--db', db], dir);
    try {
      const url = await serve.listening;
      expect((await fetch(url + '/healthz')).status).toBe(200);
      expect((await fetch(url + '/readyz')).status).toBe(200);
      expect(existsSync(db)).toBe(true);
    } finally {
      expect(await serve.stop()).toBe(0);
    }
    expect(serve.stderr()).not.toMatch(STACK_TRACE);
  });

  it('exits with an error instead of hanging when it cannot start (port taken)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'signet-serve-'));
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as AddressInfo).port;
    const serve = spawnServe(['--port', String(port), '--db', join(dir, 'signet.sqlite')], dir);
    try {
      const code = await serve.exitWithin(20_000);
      expect(code, 'serve kept running after failing to start').not.toBeUndefined();
      expect(code).not.toBe(0);
      expect(serve.stderr()).toContain('signet serve:');
      expect(serve.stderr()).not.toMatch(STACK_TRACE);
    } finally {
      await serve.stop('SIGKILL');
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });
});
