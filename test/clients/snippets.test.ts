import { execFile, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyFileName } from '../../src/portal/new-key.js';
import { goSnippet, pythonSnippet } from '../../src/portal/snippets.js';
import { suiteRuns } from '../helpers/optional-suites.js';
import { GO_CACHE } from '../helpers/test-env.js';
import { startKitServer, type KitServer } from './kit-server.js';

const run = promisify(execFile);
const PYTHON = '/usr/bin/python3';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const pythonReady = suiteRuns(
  "the run of the portal's Python snippet",
  spawnSync(PYTHON, ['-c', 'import cryptography, requests']).status === 0 ? undefined : `${PYTHON} cannot import cryptography and requests (apt-get install python3-cryptography python3-requests)`,
);
const goReady = suiteRuns("the run of the portal's Go snippet", spawnSync('go', ['version']).status === 0 ? undefined : 'go is not installed (apt-get install golang-go)');

describe.skipIf(!pythonReady && !goReady)("the portal's Python and Go snippets, run as written with the kits installed as docs/clients.md says", () => {
  let kit: KitServer;
  let dir: string;
  let kid: string;
  beforeAll(async () => {
    kit = await startKitServer();
    const fixture = JSON.parse(readFileSync(kit.fixturePath, 'utf8')) as { ed25519: { kid: string; key_file: string } };
    kid = fixture.ed25519.kid;
    dir = mkdtempSync(join(tmpdir(), 'signet-kit-snippets-'));
    copyFileSync(fixture.ed25519.key_file, join(dir, keyFileName(kid)));
    chmodSync(join(dir, keyFileName(kid)), 0o600);
  });
  afterAll(async () => {
    await kit?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });
  const input = () => ({ origin: kit.server.url, audience: kit.server.url, kid, profile: 'kits' });

  it.skipIf(!pythonReady)('runs the Python snippet: whoami and echo answer 200', async () => {
    writeFileSync(join(dir, 'snippet.py'), pythonSnippet(input()));
    const { stdout } = await run(PYTHON, ['snippet.py'], { cwd: dir, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', PYTHONPATH: join(ROOT, 'clients/python/src') }, timeout: 30_000 });
    expect(stdout).toContain(`200 {'consumer_id'`);
    expect(stdout).toContain(`'key_id': '${kid}'`);
    expect(stdout).toContain(`'body': '{"hello": "world"}'`);
  });

  it.skipIf(!goReady)(
    'runs the Go snippet in a module that requires the kit through a replace directive',
    async () => {
      const module = join(dir, 'go-snippet');
      mkdirSync(module, { recursive: true });
      writeFileSync(join(module, 'main.go'), goSnippet(input()).replaceAll(keyFileName(kid), join(dir, keyFileName(kid))));
      writeFileSync(join(module, 'go.mod'), `module snippet\n\ngo 1.19\n\nrequire signet.dev/client v0.0.0\n\nreplace signet.dev/client => ${join(ROOT, 'clients/go')}\n`);
      const cache = GO_CACHE ?? join(dir, 'gocache');
      const { stdout } = await run('go', ['run', '.'], {
        cwd: module,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, GOPROXY: 'off', GOTOOLCHAIN: 'local', GOFLAGS: '-mod=readonly', GOCACHE: cache, GOPATH: join(dir, 'gopath') },
        timeout: 240_000,
      });
      expect(stdout).toContain(`200 {"consumer_id"`);
      expect(stdout).toContain(`"key_id":"${kid}"`);
      expect(stdout).toContain(`"body":"{\\"hello\\":\\"world\\"}"`);
    },
    300_000,
  );
});
