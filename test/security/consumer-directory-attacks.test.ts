import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair, type Ed25519KeyPair } from '../../src/client/keys.js';
import { signRequest } from '../../src/client/sign.js';
import { directoryKeyId } from '../../src/protocol/ids.js';
import { publicKeyToJwk } from '../../src/protocol/public-key.js';
import { readAnswer, startHarness, type Harness, type TestConsumer } from '../helpers/harness.js';
import { edKey, sendHttpSigned } from '../helpers/http-signatures.js';

/**
 * Consumer-registered key directories through the real app: a consumer controls its directory's
 * answers, so hostile answers (huge, never-ending, redirecting away, not JSON, hostile keys) and
 * kids that name another consumer must be refused as unknown keys, never a 5xx, never a hang.
 */
describe('consumer key directories against hostile directories and kids', () => {
  let h: Harness;
  let admin: TestConsumer;
  let server: Server;
  let base: string;
  let pair: Ed25519KeyPair;
  let goodJwks: string;

  beforeAll(async () => {
    pair = await generateKeyPair();
    goodJwks = JSON.stringify({ keys: [{ ...publicKeyToJwk(pair.publicKey), kid: 'k1' }] });
    server = createServer((req, res) => {
      switch (req.url) {
        case '/good':
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(goodJwks);
          return;
        case '/huge':
          res.writeHead(200, { 'content-type': 'application/json' });
          // The real keys, padded past the size limit: only the limit refuses it.
          res.end(goodJwks.slice(0, -1) + ',"pad":"' + 'x'.repeat(200_000) + '"}');
          return;
        case '/slow':
          res.writeHead(200, { 'content-type': 'application/json' });
          res.write(goodJwks.slice(0, 10));
          return; // never ends
        case '/redirect-away':
          res.writeHead(302, { location: 'http://localhost:1/good' });
          res.end();
          return;
        case '/not-json':
          res.writeHead(200, { 'content-type': 'text/html' });
          res.end('<html>keys: k1</html>');
          return;
        case '/small-order':
          res.writeHead(200, { 'content-type': 'application/json' });
          // The identity point (order 1): a key any signature "verifies" under with a forged signature.
          res.end(JSON.stringify({ keys: [{ kty: 'OKP', crv: 'Ed25519', x: 'AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', kid: 'k1' }] }));
          return;
        default:
          res.writeHead(404);
          res.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    h = await startHarness({ keyDirectoryAllowPrivate: true, keyDirectoryTimeoutMs: 300, keyDirectoryMaxBytes: 65_536 });
    admin = await h.addAdmin('hostile-directory-admin');
  });
  afterAll(async () => {
    await h?.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const asAdmin = async (method: string, path: string, json?: unknown) => readAnswer(await h.send({ method, path, pair: admin.pair, kid: admin.kid, ...(json !== undefined ? { json } : {}) }));

  async function consumerAt(path: string): Promise<string> {
    const created = await asAdmin('POST', '/admin/v1/consumers', { name: `hostile ${path}` });
    expect((await asAdmin('PUT', `/admin/v1/consumers/${created.body.id}/key-directory`, { url: base + path })).status).toBe(200);
    return created.body.id as string;
  }

  async function both(kid: string, signer: Ed25519KeyPair) {
    const signed = await signRequest({ method: 'GET', url: h.origin + '/v1/whoami', key: edKey(signer), kid, now: h.clock.now() });
    const jws = await readAnswer(await fetch(h.baseUrl + '/v1/whoami', { headers: { Authorization: signed.authorization } }));
    const rfc = await readAnswer(await sendHttpSigned(h, { method: 'GET', path: '/v1/whoami', key: edKey(signer), kid }));
    return [jws, rfc].map((a) => [a.status, a.body.code]);
  }

  it('refuses keys from a directory that is huge, never ends, redirects to another host, is not JSON, or serves a small-order point', async () => {
    expect(await both(directoryKeyId(await consumerAt('/good'), 'k1'), pair), 'the control: the same keys served properly').toEqual([
      [200, undefined],
      [200, undefined],
    ]);
    for (const path of ['/huge', '/slow', '/redirect-away', '/not-json', '/small-order']) {
      const id = await consumerAt(path);
      expect(await both(directoryKeyId(id, 'k1'), pair), path).toEqual([
        [401, 'invalid_token'],
        [401, 'invalid_token'],
      ]);
    }
  });

  it("refuses a kid naming another consumer's directory, or a consumer without one, whoever signs", async () => {
    const owner = await consumerAt('/good');
    const intruder = await generateKeyPair();
    expect(await both(directoryKeyId(owner, 'k1'), intruder)).toEqual([
      [401, 'invalid_token'],
      [401, 'invalid_token'],
    ]);
    // The admin's own consumer has uploaded keys but no directory: its directory kids name nothing.
    expect(await both(directoryKeyId(admin.record.consumer.id, 'k1'), pair)).toEqual([
      [401, 'invalid_token'],
      [401, 'invalid_token'],
    ]);
    // An uploaded key id with a directory suffix is not that uploaded key.
    expect(await both(`${admin.kid}_k1`, admin.pair)).toEqual([
      [401, 'invalid_token'],
      [401, 'invalid_token'],
    ]);
  });
});
