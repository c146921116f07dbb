import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { REQUIRE_ALL, VECTORS_DIR } from './test-env.js';

/**
 * A public test-vector file from ../shared/vectors (never copied into the repository). Absent, it
 * prints one line and returns undefined so the suite skips, except under SIGNET_TEST_REQUIRE_ALL=1,
 * where absence is an error.
 */
export function readSharedVector<T>(name: string, suite: string): T | undefined {
  const path = VECTORS_DIR !== undefined ? join(VECTORS_DIR, name) : fileURLToPath(new URL(`../../../shared/vectors/${name}`, import.meta.url));
  if (!existsSync(path)) {
    if (REQUIRE_ALL) throw new Error(`${suite}: ${path} is absent and SIGNET_TEST_REQUIRE_ALL=1`);
    console.log(`skipping ${suite}: ${path} is absent`);
    return undefined;
  }
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}
