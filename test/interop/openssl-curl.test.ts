import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newConsumerId, newKeyId } from '../../src/protocol/ids.js';
import { importEd25519PublicKey, jwkThumbprint } from '../../src/protocol/public-key.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { missingCommand, suiteRuns } from '../helpers/optional-suites.js';

const doc = readFileSync(new URL('../../docs/protocol.md', import.meta.url), 'utf8');
const recipe = /### Shell: `openssl` \+ `curl`\s+```sh\n([\s\S]*?)```/.exec(doc)?.[1] ?? '';
const tools = suiteRuns('the openssl + curl recipe test', missingCommand(['openssl', 'curl'], 'apt-get install openssl curl'));

describe.skipIf(!tools)('the openssl + curl recipe in docs/protocol.md', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h.close());

  it('signs a request the server accepts, using only openssl, printf and curl', async () => {
    expect(recipe).toContain('openssl pkeyutl -sign -rawin');
    const dir = mkdtempSync(join(tmpdir(), 'signet-recipe-'));
    const [keygenLines, rest] = [recipe.split('\n').slice(0, 2).join('\n'), recipe.split('\n').slice(2).join('\n')];
    execFileSync('bash', ['-c', keygenLines], { cwd: dir });
    const publicKey = importEd25519PublicKey(readFileSync(join(dir, 'signet-key.pem.pub'), 'utf8'));
    const kid = newKeyId();
    await h.stores.credentials.createConsumerWithKey(
      { id: newConsumerId(), name: 'shell' },
      { id: kid, consumerId: '', type: 'ed25519', publicKey, thumbprint: await jwkThumbprint(publicKey) },
      h.clock.now(),
    );
    h.clock.set(Date.now());
    const script = rest
      .replace('URL=http://localhost:3000/v1/echo', `URL=${h.origin}/v1/echo`)
      .replace('KID=key_…', `KID=${kid}`)
      .replace('"aud":"http://localhost:3000"', `"aud":"${h.origin}"`)
      .replace('curl -s -X POST "$URL"', `curl -s -X POST "${h.baseUrl}/v1/echo"`);
    // Asynchronously: the server answering curl lives in this very process.
    const { stdout: output } = await promisify(execFile)('bash', ['-c', script], { cwd: dir, encoding: 'utf8' });
    expect(JSON.parse(output)).toMatchObject({ body: '{"hello":"world"}', length: 17 });
  });
});
