import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBrowserBundle } from '../../scripts/build-browser.js';
import { exportPrivateKey, generateKeyPair } from '../../src/client/keys.js';
import { newConsumerId, newKeyId } from '../../src/protocol/ids.js';
import { importEd25519PublicKey, jwkThumbprint } from '../../src/protocol/public-key.js';
import { startHarness, T0, type Harness } from '../helpers/harness.js';
import { hmacConsumer } from '../helpers/hmac.js';
import { suiteRuns } from '../helpers/optional-suites.js';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = suiteRuns('the browser test', existsSync(CHROMIUM) ? undefined : `no Chromium at ${CHROMIUM} (apt-get install chromium)`);

const PAGE = `<!doctype html><meta charset="utf-8"><title>signet browser test</title>
<script type="module">
  import * as Signet from '/signet-client.js';
  window.Signet = Signet;
  document.title = 'ready';
</script>`;

/**
 * Serves the page and the bundle, and passes every other request through to the harness, so the
 * page calls the API on its own origin (no CORS) exactly as a same-origin web app would.
 */
function startPageServer(bundle: string, upstream: URL): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.url === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
    } else if (req.url === '/signet-client.js') {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(readFileSync(bundle));
    } else {
      const forward = httpRequest({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      forward.on('error', () => res.writeHead(502).end());
      req.pipe(forward);
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe.skipIf(!hasChromium)('the browser bundle in a real Chromium', () => {
  let h: Harness;
  let pageServer: Server;
  let browser: Browser;
  let page: Page;
  let inputs: string[];

  beforeAll(async () => {
    const outfile = join(mkdtempSync(join(tmpdir(), 'signet-browser-')), 'signet-client.js');
    inputs = Object.keys((await buildBrowserBundle(outfile)).inputs);
    h = await startHarness();
    pageServer = await startPageServer(outfile, new URL(h.baseUrl));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
    });
    page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${(pageServer.address() as AddressInfo).port}/`);
    await page.waitForFunction(() => document.title === 'ready');
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => pageServer?.close(resolve));
    await h?.close();
  });

  it('bundles the client kit without Node-only modules', () => {
    expect(inputs.some((file) => file.endsWith('src/client/signed-fetch.ts'))).toBe(true);
    expect(inputs.filter((file) => file.startsWith('node:') || file.endsWith('key-file.ts'))).toEqual([]);
  });

  it('generates a non-extractable key with WebCrypto in the page and signs requests the server verifies', async () => {
    // 1. The page makes the key; only the public half comes out.
    const publicJwk = await page.evaluate(async () => {
      const S = (window as unknown as { Signet: typeof import('../../src/client/index.js') }).Signet;
      const pair = await S.generateKeyPair({ extractable: false });
      (window as unknown as { pair: unknown }).pair = pair;
      return S.exportPublicKey(pair.publicKey, 'jwk');
    });
    const publicKey = importEd25519PublicKey(publicJwk);
    const kid = newKeyId();
    await h.stores.credentials.createConsumerWithKey(
      { id: newConsumerId(), name: 'browser' },
      { id: kid, consumerId: '', type: 'ed25519', publicKey, thumbprint: await jwkThumbprint(publicKey) },
      h.clock.now(),
    );

    // 2. The page signs and sends through createSignedFetch, for the server's public origin.
    const result = await page.evaluate(
      async ({ kid, origin, t0 }) => {
        const w = window as unknown as { Signet: typeof import('../../src/client/index.js'); pair: import('../../src/client/keys.js').Ed25519KeyPair };
        const S = w.Signet;
        const signedFetch = S.createSignedFetch({
          baseUrl: origin,
          key: w.pair,
          kid,
          now: () => t0,
          fetch: (url, init) => fetch(url.replace(origin, location.origin), init),
        });
        const whoami = await (await signedFetch('/v1/whoami')).json();
        const json = await (await signedFetch('/v1/echo', { method: 'POST', body: { from: 'chromium' } })).json();
        const blob = await (await signedFetch('/v1/echo', { method: 'POST', body: new Blob(['blob ', 'body'], { type: 'text/plain' }) })).json();
        let refusal: unknown;
        try {
          await S.createSignedFetch({ baseUrl: origin, key: w.pair, kid: 'key_0000000000000000000000', now: () => t0, fetch: (url, init) => fetch(url.replace(origin, location.origin), init) })(
            '/v1/whoami',
          );
        } catch (error) {
          const e = error as InstanceType<typeof S.SignetResponseError>;
          refusal = { isTyped: e instanceof S.SignetResponseError, code: e.code, requestId: e.requestId };
        }
        return { whoami, json, blob, refusal, extractable: w.pair.privateKey.extractable };
      },
      { kid, origin: h.origin, t0: T0 },
    );

    expect(result.extractable).toBe(false);
    expect(result.whoami).toMatchObject({ key_id: kid, consumer_name: 'browser', mode: 'ed25519' });
    expect(result.json).toMatchObject({ body: '{"from":"chromium"}' });
    expect(result.blob).toMatchObject({ body: 'blob body' });
    expect(result.refusal).toMatchObject({ isTyped: true, code: 'invalid_token', requestId: expect.any(String) });
  });

  it('imports a private key from a JWK and from a PEM in the page, non-extractable, and the server verifies what it signs', async () => {
    const pair = await generateKeyPair();
    const kid = newKeyId();
    await h.stores.credentials.createConsumerWithKey(
      { id: newConsumerId(), name: 'browser-imported' },
      { id: kid, consumerId: '', type: 'ed25519', publicKey: pair.publicKey, thumbprint: await jwkThumbprint(pair.publicKey) },
      h.clock.now(),
    );
    const texts = [await exportPrivateKey(pair, 'jwk'), await exportPrivateKey(pair, 'pem')];
    const results = await page.evaluate(
      async ({ texts, kid, origin, t0 }) => {
        const S = (window as unknown as { Signet: typeof import('../../src/client/index.js') }).Signet;
        const answers = [];
        for (const text of texts) {
          const key = await S.importPrivateKey(text, { extractable: false });
          const signedFetch = S.createSignedFetch({ baseUrl: origin, key, kid, now: () => t0, fetch: (url, init) => fetch(url.replace(origin, location.origin), init) });
          answers.push({ extractable: key.privateKey.extractable, whoami: await (await signedFetch('/v1/whoami')).json() });
        }
        return answers;
      },
      { texts, kid, origin: h.origin, t0: T0 },
    );
    expect(results).toEqual([
      { extractable: false, whoami: expect.objectContaining({ key_id: kid, consumer_name: 'browser-imported' }) },
      { extractable: false, whoami: expect.objectContaining({ key_id: kid, consumer_name: 'browser-imported' }) },
    ]);
  });

  it('signs HS256 with an HMAC secret in the page (jose over WebCrypto) and the server verifies it', async () => {
    const { kid, secret } = await hmacConsumer(h, await h.addAdmin('browser-admin'), 'browser-hmac');
    const whoami = await page.evaluate(
      async ({ kid, secret, origin, t0 }) => {
        const S = (window as unknown as { Signet: typeof import('../../src/client/index.js') }).Signet;
        const signedFetch = S.createSignedFetch({ baseUrl: origin, key: secret, kid, now: () => t0, fetch: (url, init) => fetch(url.replace(origin, location.origin), init) });
        return (await signedFetch('/v1/whoami')).json();
      },
      { kid, secret, origin: h.origin, t0: T0 },
    );
    expect(whoami).toMatchObject({ key_id: kid, mode: 'hmac' });
  });
});
