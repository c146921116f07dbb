import { execFile as execFileCallback, spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort } from '../helpers/free-port.js';
import { afterAll, describe, expect, it } from 'vitest';
import { suiteRuns } from '../helpers/optional-suites.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const execFile = promisify(execFileCallback);
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; exports: Record<string, unknown> };
const SUBPATHS = Object.keys(pkg.exports)
  .filter((subpath) => subpath !== './client/browser')
  .map((subpath) => (subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`));

const registryReachable = spawnSync('npm', ['ping'], { encoding: 'utf8', timeout: 30_000 }).status === 0;
const runs = suiteRuns('the npm pack + install test', registryReachable ? undefined : 'the npm registry is unreachable (npm ping failed)');

const work = mkdtempSync(join(tmpdir(), 'signet-pack-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.runIf(runs)('the package as a user installs it', () => {
  const project = join(work, 'project');
  const run = (file: string, args: string[], env: NodeJS.ProcessEnv = {}) => execFile(file, args, { cwd: project, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 300_000 });

  it('packs, installs from the tarball into a fresh project, and imports every documented subpath', async () => {
    // npm pack runs the "prepare" build, so the tarball holds what the sources say today.
    await execFile('npm', ['pack', '--pack-destination', work, '--silent'], { cwd: ROOT, timeout: 600_000 });
    const tarball = readdirSync(work).find((name) => name.endsWith('.tgz'));
    expect(tarball).toBe(`${pkg.name}-0.1.0.tgz`);
    mkdirSync(project, { recursive: true });
    cpSync(join(ROOT, 'test/package/fixture-project.json'), join(project, 'package.json'));
    // --ignore-scripts: sqlite3's install script fetches a prebuilt binary from GitHub, which test
    // machines may not reach; the repository's own compiled binding (same Node ABI) is copied instead.
    await run('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--prefer-offline', join(work, tarball!)]);
    cpSync(join(ROOT, 'node_modules/sqlite3/build'), join(project, 'node_modules/sqlite3/build'), { recursive: true });
    writeFileSync(join(project, 'imports.mjs'), `for (const s of ${JSON.stringify(SUBPATHS)}) { const m = await import(s); console.log(s, Object.keys(m).join(',')); }\n`);
    const { stdout } = await run(process.execPath, ['imports.mjs']);
    for (const subpath of SUBPATHS) expect(stdout).toContain(subpath + ' ');
    expect(stdout).toMatch(/^signet-auth .*createSignet/m);
    expect(stdout).toMatch(/^signet-auth\/express .*signetExpress/m);
    expect(stdout).toMatch(/^signet-auth\/fastify .*signetFastify/m);
    expect(stdout).toMatch(/^signet-auth\/koa .*signetKoa/m);
    expect(stdout).toMatch(/^signet-auth\/node .*withSignet/m);
  }, 900_000);

  it('runs the CLI through npx and the README example against the installed package', async () => {
    const help = await run('npx', ['--no-install', 'signet', '--help']);
    expect(help.stdout).toContain('Usage: signet COMMAND');
    await run('npx', ['--no-install', 'signet', 'keygen', '--out', 'acme.pem']);
    await run('npx', ['--no-install', 'signet', 'migrate', '--db', 'signet.sqlite']);
    const added = JSON.parse(
      (await run('npx', ['--no-install', 'signet', 'consumers', 'add', 'acme', '--public-key', 'acme.pem.pub', '--scopes', 'reports:read', '--db', 'signet.sqlite', '--json'])).stdout,
    ) as { key_id: string };

    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const example = /<!-- embedding-example -->\n```ts\n([\s\S]*?)```/.exec(readme)![1]!;
    writeFileSync(join(project, 'example.ts'), example);
    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    const env = { SIGNET_DB: 'signet.sqlite', SIGNET_PORT: String(port), SIGNET_PUBLIC_ORIGIN: origin, SIGNET_LOG_LEVEL: 'silent' };
    // tsx from this repository strips the types; every import resolves inside the fresh project.
    const child = spawn(process.execPath, ['--import', join(ROOT, 'node_modules/tsx/dist/esm/index.mjs'), 'example.ts'], {
      cwd: project,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => (chunk.toString().includes('listening on') ? resolve() : undefined));
        void exited.then(() => reject(new Error('the README example exited early')));
      });
      const answer = await run('npx', ['--no-install', 'signet', 'request', 'GET', `${origin}/report`, '--key', 'acme.pem', '--kid', added.key_id, '--json']);
      expect(JSON.parse(answer.stdout)).toMatchObject({ status: 200, body: { hello: 'acme' } });
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  }, 300_000);
});
