/**
 * Suites that need an optional engine (python, go, Chromium ...) skip with one printed line when it
 * is absent, except under SIGNET_TEST_REQUIRE_ALL=1 (CI sets it), where its absence fails the run.
 */

/** SIGNET_TEST_REQUIRE_ALL=1: an optional engine that is missing fails the run instead of skipping. */
export const REQUIRE_ALL = process.env.SIGNET_TEST_REQUIRE_ALL === '1';

/**
 * Whether a suite needing `engine` runs. When `missing` names what is absent, prints why the
 * suite is skipped, or throws under SIGNET_TEST_REQUIRE_ALL=1 (at collection, so the file fails).
 */
export function engineAvailable(suite: string, missing: string | undefined): boolean {
  if (missing === undefined) return true;
  const line = `${suite}: ${missing}`;
  if (REQUIRE_ALL) throw new Error(`SIGNET_TEST_REQUIRE_ALL=1 but ${line}`);
  console.log(`skipping ${line}`);
  return false;
}
