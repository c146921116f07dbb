import { execFile, spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { suiteRuns } from '../helpers/optional-suites.js';
import { startKitServer, type KitServer } from './kit-server.js';

const PYTHON = '/usr/bin/python3';
const KIT = fileURLToPath(new URL('../../clients/python/', import.meta.url));

const probe = spawnSync(PYTHON, ['-c', 'import pytest, cryptography, requests, httpx'], { encoding: 'utf8' });
const ready = suiteRuns(
  'the Python client kit suite',
  probe.status === 0 ? undefined : `${PYTHON} cannot import pytest, cryptography, requests and httpx (apt-get install python3-pytest python3-cryptography python3-requests python3-httpx)`,
);

interface Run {
  code: number | null;
  output: string;
}

/** Asynchronous: the server under test runs in this process, so a synchronous child would starve it. */
function pytest(env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      PYTHON,
      ['-m', 'pytest', '-p', 'no:cacheprovider', '-rA', '--tb=short'],
      { cwd: KIT, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: tmpdir(), PYTHONDONTWRITEBYTECODE: '1', ...env }, timeout: 240_000, maxBuffer: 8 << 20 },
      (error, stdout, stderr) => resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, output: stdout + stderr }),
    );
  });
}

describe.skipIf(!ready)('the Python client kit (pytest in clients/python, against a live server)', () => {
  let kit: KitServer;
  let run: Run;
  beforeAll(async () => {
    kit = await startKitServer();
    run = await pytest({ SIGNET_KIT_FIXTURE: kit.fixturePath });
  }, 300_000);
  afterAll(async () => kit?.close());

  it('passes every pytest test, none skipped (exit code 5, no tests collected, is a failure too)', () => {
    expect(run.code, run.output).toBe(0);
    expect(run.output).toMatch(/\b\d+ passed\b/);
    expect(run.output, run.output).not.toMatch(/\bskipped\b|SKIPPED|no tests ran/);
  });

  it('ran the live proofs: GET, JSON and binary POST, presigned link, HMAC, clock skew, revoked key, wrong kid, 429', () => {
    for (const name of [
      'test_a_signed_get_is_accepted',
      'test_a_json_post_is_accepted_and_echoed_byte_for_byte',
      'test_a_binary_post_is_accepted',
      'test_a_presigned_link_works_once',
      'test_an_hmac_key_signs_as_hs256',
      'test_a_clock_ten_minutes_slow_is_corrected_once_and_the_request_succeeds',
      'test_a_revoked_key_raises_key_revoked_with_the_request_id',
      'test_a_wrong_kid_raises_invalid_token',
      'test_a_rate_limited_consumer_gets_rate_limited_with_retry_after',
      'test_a_url_that_cannot_be_canonicalised_is_refused_before_sending',
      'test_signs_every_token_byte_for_byte_from_each_key_file_format',
    ]) {
      expect(run.output).toMatch(new RegExp(`PASSED \\S*::${name}\\b`));
    }
  });
});
