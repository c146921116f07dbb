import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { suiteRuns } from '../helpers/optional-suites.js';
import { GO_CACHE } from '../helpers/test-env.js';
import { startKitServer, type KitServer } from './kit-server.js';

const KIT = fileURLToPath(new URL('../../clients/go/', import.meta.url));
const goVersion = spawnSync('go', ['version'], { encoding: 'utf8' });
const ready = suiteRuns('the Go client kit suite', goVersion.status === 0 ? undefined : 'go is not installed (apt-get install golang-go)');

interface Run {
  code: number | null;
  output: string;
}

/** Standard library only: no module is ever downloaded (GOPROXY=off), no newer toolchain fetched. */
function goTest(env: Record<string, string>, cache: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      'go',
      ['test', '-count=1', '-v', './...'],
      {
        cwd: KIT,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: tmpdir(), GOPROXY: 'off', GOTOOLCHAIN: 'local', GOFLAGS: '-mod=readonly', GOCACHE: cache, GOPATH: join(cache, 'gopath'), ...env },
        timeout: 300_000,
        maxBuffer: 8 << 20,
      },
      (error, stdout, stderr) => resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, output: stdout + stderr }),
    );
  });
}

describe.skipIf(!ready)('the Go client kit (go test in clients/go, against a live server)', () => {
  let kit: KitServer;
  let cache: string;
  let run: Run;
  beforeAll(async () => {
    kit = await startKitServer();
    cache = GO_CACHE ?? mkdtempSync(join(tmpdir(), 'signet-gocache-'));
    run = await goTest({ SIGNET_KIT_FIXTURE: kit.fixturePath }, cache);
  }, 360_000);
  afterAll(async () => {
    await kit?.close();
    if (GO_CACHE === undefined && cache !== undefined) rmSync(cache, { recursive: true, force: true });
  });

  it('passes every go test, none skipped', () => {
    expect(run.code, run.output).toBe(0);
    expect(run.output).toMatch(/^ok\s+signet\.dev\/client/m);
    expect(run.output, run.output).not.toMatch(/--- SKIP|no test files/);
  });

  it('ran the live proofs: GET, JSON and binary POST, presigned link, HMAC, clock skew, revoked key, wrong kid, 429', () => {
    for (const name of [
      'TestLiveASignedGetIsAccepted',
      'TestLiveAJSONPostIsAcceptedAndTheBodyRestoredForSending',
      'TestLiveABinaryPostIsAccepted',
      'TestLiveAPresignedLinkWorksOnce',
      'TestLiveAnHMACKeySignsAsHS256',
      'TestLiveAClockTenMinutesSlowIsCorrectedOnceAndTheRequestSucceeds',
      'TestLiveARevokedKeyIsAKeyRevokedErrorWithTheRequestID',
      'TestLiveAWrongKidIsInvalidToken',
      'TestLiveARateLimitedConsumerGetsRateLimitedWithRetryAfter',
      'TestAURLThatCannotBeCanonicalisedIsRefusedBeforeSending',
      'TestSignsEveryTokenByteForByteFromEachKeyFileFormat',
    ]) {
      expect(run.output).toMatch(new RegExp(`--- PASS: ${name} `));
    }
  });
});
