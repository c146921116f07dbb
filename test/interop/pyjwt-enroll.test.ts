import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ed25519KeyPair } from '../../src/client/keys.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { suiteRuns } from '../helpers/optional-suites.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./pyjwt_enroll.py', import.meta.url));
const run = promisify(execFile);

const pyjwt = spawnSync(PYTHON, ['-c', 'import jwt, cryptography; jwt.encode({}, "k", algorithm="HS256")'], { encoding: 'utf8' }).status === 0;
const openssl = spawnSync('openssl', ['version'], { encoding: 'utf8' }).status === 0;
const runs = suiteRuns(
  'the PyJWT enrollment interop test',
  pyjwt && openssl ? undefined : 'needs /usr/bin/python3 with jwt and cryptography (apt-get install python3-jwt python3-cryptography) and openssl',
);

async function python(args: string[]): Promise<{ status: number; body: any }> {
  const { stdout } = await run(PYTHON, [SCRIPT, ...args], { encoding: 'utf8', timeout: 20_000 });
  return JSON.parse(stdout);
}

describe.skipIf(!runs)('key uploads by a PyJWT client written from docs/enrollment.md', () => {
  let h: Harness;
  let dir: string;
  let admin: { pair: Ed25519KeyPair; kid: string };
  let consumerId: string;
  let firstKid: string;
  const now = () => String(Math.floor(h.clock.now() / 1000));

  beforeAll(async () => {
    h = await startHarness({}, { socketOrigin: true });
    dir = mkdtempSync(join(tmpdir(), 'signet-pyjwt-enroll-'));
    for (const name of ['first.pem', 'second.pem']) spawnSync('openssl', ['genpkey', '-algorithm', 'ed25519', '-out', join(dir, name)]);
    admin = await h.addAdmin();
    const created = await h.send({ method: 'POST', path: '/admin/v1/consumers', json: { name: 'python-shop' }, ...admin });
    consumerId = ((await created.json()) as { id: string }).id;
  });
  afterAll(async () => h?.close());

  it('enrolls an openssl-generated key with a code and a Signet-Proof made by PyJWT', async () => {
    const issued = await h.send({ method: 'POST', path: `/admin/v1/consumers/${consumerId}/enrollment-codes`, ...admin });
    const { code } = (await issued.json()) as { code: string };
    const result = await python(['enroll', '--origin', h.origin, '--key', join(dir, 'first.pem'), '--code', code, '--now', now()]);
    expect(result.status, JSON.stringify(result.body)).toBe(201);
    expect(result.body.consumer_id).toBe(consumerId);
    firstKid = result.body.key.id;
  });

  it('adds a second key signed by the first (Authorization) and by itself (Signet-Proof)', async () => {
    const result = await python(['add', '--origin', h.origin, '--key', join(dir, 'second.pem'), '--auth-key', join(dir, 'first.pem'), '--auth-kid', firstKid, '--now', now()]);
    expect(result.status, JSON.stringify(result.body)).toBe(201);
    expect(result.body).toMatchObject({ consumer_id: consumerId, label: 'python', scopes: ['keys'] });
  });

  it('answers 409 conflict when the same public key is uploaded again', async () => {
    const result = await python(['add', '--origin', h.origin, '--key', join(dir, 'second.pem'), '--auth-key', join(dir, 'first.pem'), '--auth-kid', firstKid, '--now', now()]);
    expect(result.status).toBe(409);
    expect(result.body.code).toBe('conflict');
  });
});
