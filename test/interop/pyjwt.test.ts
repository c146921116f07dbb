import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importPrivateKey } from '../../src/client/keys.js';
import { newConsumerId, newKeyId } from '../../src/protocol/ids.js';
import { importEd25519PublicKey, jwkThumbprint, publicKeyToPem } from '../../src/protocol/public-key.js';
import { signRequest } from '../../src/client/sign.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { suiteRuns } from '../helpers/optional-suites.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./pyjwt_client.py', import.meta.url));
const run = promisify(execFile);

const probe = spawnSync(PYTHON, ['-c', 'import jwt, cryptography; jwt.encode({}, "k", algorithm="HS256")'], { encoding: 'utf8' });
const pyjwt = probe.status === 0;
const openssl = spawnSync('openssl', ['version'], { encoding: 'utf8' }).status === 0;
const runs = suiteRuns(
  'the PyJWT interop tests',
  !pyjwt ? `${PYTHON} cannot import jwt and cryptography (apt-get install python3-jwt python3-cryptography)` : !openssl ? 'openssl is not installed (apt-get install openssl)' : undefined,
);

async function python(args: string[], input?: string): Promise<Record<string, unknown>> {
  const child = run(PYTHON, [SCRIPT, ...args], { encoding: 'utf8', timeout: 20_000 });
  if (input !== undefined) {
    child.child.stdin?.end(input);
  }
  const { stdout } = await child;
  return JSON.parse(stdout) as Record<string, unknown>;
}

describe.skipIf(!runs)('a client written with PyJWT from docs/protocol.md', () => {
  let h: Harness;
  let dir: string;
  let kid: string;
  beforeAll(async () => {
    h = await startHarness();
    dir = mkdtempSync(join(tmpdir(), 'signet-pyjwt-'));
    spawnSync('openssl', ['genpkey', '-algorithm', 'ed25519', '-out', join(dir, 'key.pem')]);
    spawnSync('openssl', ['pkey', '-in', join(dir, 'key.pem'), '-pubout', '-out', join(dir, 'key.pem.pub')]);
    const publicKey = importEd25519PublicKey(readFileSync(join(dir, 'key.pem.pub'), 'utf8'));
    kid = newKeyId();
    await h.stores.credentials.createConsumerWithKey(
      { id: newConsumerId(), name: 'python' },
      { id: kid, consumerId: '', type: 'ed25519', publicKey, thumbprint: await jwkThumbprint(publicKey) },
      h.clock.now(),
    );
  });
  afterAll(async () => h?.close());

  const common = () => ['--key', join(dir, 'key.pem'), '--kid', kid, '--aud', h.origin, '--now', String(Math.floor(h.clock.now() / 1000))];

  it('gets 200 for a signed GET with an openssl-generated key', async () => {
    const result = await python(['send', ...common(), '--url', `${h.origin}/v1/whoami`, '--send-to', `${h.baseUrl}/v1/whoami`]);
    expect(result).toMatchObject({ status: 200, body: { key_id: kid, consumer_name: 'python', mode: 'ed25519' } });
  });

  it('gets 200 for a signed POST with a body, which the server echoes byte for byte', async () => {
    const body = '{"hello":"wörld"}';
    const result = await python(['send', ...common(), '--method', 'POST', '--body', body, '--url', `${h.origin}/v1/echo?lang=en`, '--send-to', `${h.baseUrl}/v1/echo?lang=en`]);
    expect(result).toMatchObject({ status: 200, body: { body } });
  });

  it("gets the server's binding explanation when it signs the wrong URL", async () => {
    const result = await python(['send', ...common(), '--url', `${h.origin}/v1/other`, '--send-to', `${h.baseUrl}/v1/whoami`]);
    expect(result).toMatchObject({ status: 401, body: { code: 'binding_mismatch', mismatches: [{ claim: 'url', expected: `${h.origin}/v1/whoami`, received: `${h.origin}/v1/other` }] } });
  });

  it('verifies a token made by signRequest as an ordinary EdDSA JWT', async () => {
    const pair = await importPrivateKey(readFileSync(join(dir, 'key.pem'), 'utf8'));
    const signed = await signRequest({ method: 'POST', url: `${h.origin}/v1/echo`, body: 'x', key: { type: 'ed25519', privateKey: pair.privateKey }, kid, now: h.clock.now() });
    const pem = join(dir, 'from-signet.pub');
    writeFileSync(pem, publicKeyToPem(pair.publicKey));
    const result = await python(['verify', '--public-key', pem, '--aud', h.origin], signed.token);
    expect(result).toEqual({ header: { alg: 'EdDSA', kid, typ: 'signet+jwt' }, claims: signed.claims });
  });
});
