import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { importEd25519PublicKey } from '../../src/protocol/public-key.js';
import { expectNoStackTrace, runCli, withCliUser } from '../helpers/cli-process.js';
import type { LiveServer } from '../helpers/live-server.js';

describe('signet request and sign with --format rfc9421', () => {
  let server: LiveServer;
  let dir: string;
  let env: Record<string, string>;

  withCliUser('signet-rfc9421-', (s) => ({ server, dir, env } = s));
  beforeAll(async () => {
    const keyFile = join(dir, 'dev.pem');
    const keygen = await runCli(['keygen', '--out', keyFile, '--json'], env);
    expect(keygen.code).toBe(0);
    const made = JSON.parse(keygen.stdout) as { public_key_file: string };
    const kid = await server.register(importEd25519PublicKey(readFileSync(made.public_key_file, 'utf8')));
    expect((await runCli(['profile', 'add', 'dev', '--server', server.url, '--kid', kid, '--key', keyFile], env)).code).toBe(0);
  });

  it('request --format rfc9421 signs with RFC 9421 and the server says so (exit 0)', async () => {
    const result = await runCli(['request', 'GET', '/v1/whoami', '--format', 'rfc9421', '--json'], env);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ status: 200, body: { format: 'rfc9421' } });
  });

  it('request --format rfc9421 sends a body with its Content-Digest', async () => {
    const result = await runCli(['request', 'POST', '/v1/echo', '-d', '{"n":1}', '--format', 'rfc9421', '--json'], env);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ status: 200, body: { body: '{"n":1}' } });
  });

  it('sign --format rfc9421 prints header lines another tool can send once', async () => {
    const result = await runCli(['sign', 'POST', '/v1/echo', '-d', 'abc', '--format', 'rfc9421'], env);
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines.map((line) => line.slice(0, line.indexOf(':')))).toEqual(['Content-Digest', 'Signature-Input', 'Signature']);
    const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 2)]));
    const first = await fetch(server.url + '/v1/echo', { method: 'POST', headers, body: 'abc' });
    expect(first.status).toBe(200);
    const again = await fetch(server.url + '/v1/echo', { method: 'POST', headers, body: 'abc' });
    expect(((await again.json()) as { code: string }).code).toBe('token_replayed');
  });

  it('an unknown --format is a usage error without a stack trace', async () => {
    const result = await runCli(['request', 'GET', '/v1/whoami', '--format', 'cavage'], env);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/jws or rfc9421/);
    expectNoStackTrace(result);
  });
});
