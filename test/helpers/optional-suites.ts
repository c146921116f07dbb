import { spawnSync } from 'node:child_process';
import { REQUIRE_ALL } from './test-env.js';

/**
 * The one gate of every suite that needs something npm does not install: PostgreSQL, Redis,
 * Chromium, python with PyJWT, Go, openssl, ssh-keygen, the shared test vectors. `missing` says
 * what is absent (with how to get it), or is undefined when everything is there.
 *
 * A developer's plain `npm test` skips such a suite with one printed line. Under
 * SIGNET_TEST_REQUIRE_ALL=1 (set by .ci/run) it throws instead: at a file's top level that fails
 * the file, inside a test it fails the test.
 */
export function suiteRuns(suite: string, missing: string | undefined): boolean {
  if (missing === undefined) return true;
  if (REQUIRE_ALL) throw new Error(`${suite} cannot run: ${missing}; SIGNET_TEST_REQUIRE_ALL=1 forbids skipping it`);
  console.log(`skipping ${suite}: ${missing}`);
  return false;
}

/** Whether `name` is a command on PATH. */
function hasCommand(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`]).status === 0;
}

/** The first of `names` that is not a command on PATH, for a `missing` sentence. */
export function missingCommand(names: string[], install: string): string | undefined {
  const absent = names.filter((name) => !hasCommand(name));
  return absent.length === 0 ? undefined : `${absent.join(' and ')} not installed (${install})`;
}

/**
 * The gate of a suite that needs a Node built-in newer than the oldest Node supported (node:sqlite
 * on Node 20): it skips with one printed line even under SIGNET_TEST_REQUIRE_ALL=1, because .ci/run
 * runs the whole suite on Node 24 as well, where it runs.
 */
export function nodeSuiteRuns(suite: string, missing: string | undefined): boolean {
  if (missing === undefined) return true;
  console.log(`skipping ${suite} on Node ${process.version}: ${missing}`);
  return false;
}
