import { REQUIRE_ALL } from './test-env.js';

/**
 * Whether a suite needing an optional engine (python, go, Chromium ...) runs. When `missing` names
 * what is absent, prints one line saying why the suite is skipped, or, under
 * SIGNET_TEST_REQUIRE_ALL=1 (CI sets it), throws at collection so the file fails instead.
 */
export function engineAvailable(suite: string, missing: string | undefined): boolean {
  if (missing === undefined) return true;
  const line = `${suite}: ${missing}`;
  if (REQUIRE_ALL) throw new Error(`SIGNET_TEST_REQUIRE_ALL=1 but ${line}`);
  console.log(`skipping ${line}`);
  return false;
}
