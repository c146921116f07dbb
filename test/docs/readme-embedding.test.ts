import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { freePort } from '../helpers/free-port.js';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmbedded } from '../helpers/embedded.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The README's embedding example, between its markers. */
function readmeExample(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const found = /<!-- embedding-example -->\n```ts\n([\s\S]*?)```\n<!-- \/embedding-example -->/.exec(readme);
  if (found === null) throw new Error('README.md has no embedding example between its markers');
  return found[1]!;
}

mkdirSync(join(ROOT, 'test-output'), { recursive: true });
const dir = mkdtempSync(join(ROOT, 'test-output', 'readme-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the README embedding example', () => {
  // Imports rewritten from the package name to the sources the package is built from.
  const source = readmeExample()
    .replace(/from 'signet-auth'/g, `from '${join(ROOT, 'src/index.js')}'`)
    .replace(/from 'signet-auth\/koa'/g, `from '${join(ROOT, 'src/adapters/koa.js')}'`);
  const file = join(dir, 'example.ts');
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, source);

  it('type-checks under the project compiler settings', () => {
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
    const args = [tsc, '--noEmit', '--strict', '--skipLibCheck', '--target', 'es2022', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--types', 'node', file];
    expect(() => execFileSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8' })).not.toThrow();
  }, 180_000);

  it('runs: refuses an unsigned request, serves a signed one, stops on SIGTERM', async () => {
    const db = join(dir, 'signet.sqlite');
    const origin = 'https://api.example.test';
    // A consumer with the scope the example asks for, in the database the example opens.
    const seed = await startEmbedded({ db, publicOrigin: origin });
    const acme = await seed.addConsumer({ name: 'acme', scopes: ['reports:read'] });
    await seed.close();

    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', file], {
      cwd: ROOT,
      env: { ...process.env, SIGNET_DB: db, SIGNET_PORT: String(port), SIGNET_PUBLIC_ORIGIN: origin, SIGNET_LOG_LEVEL: 'silent', SIGNET_PORTAL: 'false' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => (chunk.toString().includes('listening on') ? resolve() : undefined));
      void exited.then(() => reject(new Error(`the example exited early: ${output}`)));
    });
    const base = `http://127.0.0.1:${port}`;
    const unsigned = await fetch(base + '/report');
    expect(unsigned.status).toBe(401);
    expect(unsigned.headers.get('www-authenticate')).toContain('error="missing_token"');
    expect(await unsigned.json()).toMatchObject({ code: 'missing_token' });
    const signed = await fetch(base + '/report', { headers: { Authorization: await acme.sign('GET', '/report') } });
    expect(signed.status).toBe(200);
    expect(await signed.json()).toEqual({ hello: 'acme' });
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).not.toMatch(/\n\s+at /);
  }, 120_000);
});
