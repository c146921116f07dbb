/**
 * The few environment variables the test suite itself reads (the application reads its settings
 * only through src/config.ts). Kept in one place so a reader sees every knob of the suite.
 */

/** SIGNET_FUZZ_RUNS: fast-check runs per property (default 1000; CI sets 10000). */
export const FUZZ_RUNS = Number(process.env.SIGNET_FUZZ_RUNS ?? 1000);

/**
 * Timeout of a property that sends every run over HTTP (or signs per run): CI's 10,000 runs take
 * a minute or more on a loaded 2-core machine, beyond vitest's default 30 s.
 */
export const FUZZ_TIMEOUT_MS = 30_000 + FUZZ_RUNS * 25;

/** SIGNET_TEST_PG_URL: a throwaway PostgreSQL database for the store contract suite; unset skips it. */
export const PG_URL: string | undefined = process.env.SIGNET_TEST_PG_URL || undefined;

/** SIGNET_TEST_REDIS_URL: a Redis server for the Redis suites (they never FLUSHALL); unset skips them. */
export const REDIS_URL: string | undefined = process.env.SIGNET_TEST_REDIS_URL || undefined;

/** SIGNET_TEST_REDIS_PREFIX: the start of every key the Redis suites write (default one per test process). */
export const REDIS_PREFIX: string = process.env.SIGNET_TEST_REDIS_PREFIX || `signet-test:${process.pid}:`;

/**
 * SIGNET_TEST_REQUIRE_ALL=1 (.ci/run sets it): a suite that needs an engine or tool outside npm
 * fails when it is absent instead of skipping, so CI cannot pass by running less.
 */
export const REQUIRE_ALL: boolean = process.env.SIGNET_TEST_REQUIRE_ALL === '1';

/** GOCACHE: a Go build cache the Go kit's suites reuse; unset, each run builds in a fresh one, removed after. */
export const GO_CACHE: string | undefined = process.env.GOCACHE || undefined;
