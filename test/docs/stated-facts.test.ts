import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { DOCUMENTS, ROOT } from './markdown.js';

const read = (path: string) => readFileSync(join(ROOT, path), 'utf8').replace(/\s+/g, ' ');

/** Numbers and names the docs state, checked against what the code does. */
describe('facts the docs state', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h?.close());

  it('the README gives both the token lifetime and the clock skew, and how long a token is accepted with them', () => {
    const defaults = loadConfig({}, {});
    const readme = read('README.md');
    expect(readme).toContain(`A token lives ${defaults.maxTokenLifetimeSeconds} s (\`SIGNET_MAX_TOKEN_LIFETIME\`)`);
    expect(readme).toContain(`tolerates ${defaults.clockSkewSeconds} s of clock difference`);
    expect(readme).toContain(`accepted until about ${defaults.maxTokenLifetimeSeconds + defaults.clockSkewSeconds} s after it was signed`);
  });

  it('the docs name the request id header the server sends, and no other', async () => {
    const response = await fetch(h.baseUrl + '/healthz');
    expect(response.headers.get('request-id')).toMatch(/\S/);
    expect(response.headers.get('x-request-id')).toBeNull();
    expect(read('docs/deployment.md')).toContain('`Request-Id`');
    for (const path of DOCUMENTS) expect(read(path), path).not.toMatch(/X-Request-Id/i);
  });
});
