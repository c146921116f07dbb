import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { PRESIGN_PARAM } from '../../src/protocol/format.js';
import { silentLogger } from '../../src/server/logger.js';
import { startServer, type RunningServer } from '../../src/server/start.js';
import { startHarness, type Harness, type TestConsumer } from '../helpers/harness.js';
import { rawRequest } from '../helpers/raw-http.js';
import { claimsFor, craftToken, ed25519Signer, headerFor } from '../helpers/tokens.js';

let h: Harness;
let alice: TestConsumer;
beforeAll(async () => {
  h = await startHarness();
  alice = await h.addConsumer('alice');
});
afterAll(async () => h.close());

const request = (lines: string[]) => rawRequest(h.baseUrl, `${lines.join('\r\n')}\r\n\r\n`, { keepWriting: true });

describe('the Authorization header, as docs/protocol.md describes it', () => {
  it('refuses a request carrying two Authorization headers, even when the first one is valid', async () => {
    const valid = await h.sign({ method: 'GET', path: '/v1/whoami', ...alice });
    const alone = await request(['GET /v1/whoami HTTP/1.1', 'Host: x', `Authorization: ${valid}`, 'Connection: close']);
    expect(alone.status).toBe(200);
    const fresh = await h.sign({ method: 'GET', path: '/v1/whoami', ...alice });
    const twice = await request(['GET /v1/whoami HTTP/1.1', 'Host: x', `Authorization: ${fresh}`, 'Authorization: Signet other.token.here', 'Connection: close']);
    expect(twice.status).toBe(401);
    expect(JSON.parse(twice.body)).toMatchObject({ code: 'invalid_token' });
    // The refused request did not spend its token: alone, it is still accepted.
    const afterwards = await request(['GET /v1/whoami HTTP/1.1', 'Host: x', `Authorization: ${fresh}`, 'Connection: close']);
    expect(afterwards.status).toBe(200);
  });

  it('accepts more than one space after the scheme but not a TAB', async () => {
    const spaced = (await h.sign({ method: 'GET', path: '/v1/whoami', ...alice })).replace(/^Signet /, 'Signet   ');
    expect((await request(['GET /v1/whoami HTTP/1.1', 'Host: x', `Authorization: ${spaced}`, 'Connection: close'])).status).toBe(200);
    const tabbed = (await h.sign({ method: 'GET', path: '/v1/whoami', ...alice })).replace(/^Signet /, 'Signet\t');
    const refused = await request(['GET /v1/whoami HTTP/1.1', 'Host: x', `Authorization: ${tabbed}`, 'Connection: close']);
    expect(refused.status).toBe(401);
    expect(JSON.parse(refused.body)).toMatchObject({ code: 'invalid_token' });
  });

  it('refuses a url claim with a fragment or user information, and accepts integers spelt with a zero fraction', async () => {
    const sign = ed25519Signer(alice.pair.privateKey);
    const send = async (payload: string | object) => fetch(h.baseUrl + '/v1/whoami', { headers: { Authorization: `Signet ${await craftToken(headerFor(alice.kid), payload, sign)}` } });
    for (const url of [`${h.origin}/v1/whoami#top`, h.origin.replace('https://', 'https://user:pw@') + '/v1/whoami']) {
      const answer = await send(claimsFor(h.origin, h.clock.now(), { url }));
      expect(answer.status).toBe(401);
      expect(await answer.json()).toMatchObject({ code: 'binding_mismatch' });
    }
    const claims = claimsFor(h.origin, h.clock.now());
    const spelt = JSON.stringify(claims).replace(`"exp":${claims.exp as number}`, `"exp":${claims.exp as number}.0`);
    expect(spelt).toContain('.0,');
    expect((await send(spelt)).status).toBe(200);
  });

  it('refuses the presigned-link parameter on a POST', async () => {
    const token = (await h.sign({ method: 'GET', path: '/v1/echo', ...alice })).replace(/^Signet /, '');
    const answer = await fetch(`${h.baseUrl}/v1/echo?${PRESIGN_PARAM}=${token}`, { method: 'POST', body: '' });
    expect(answer.status).toBe(401);
    expect(await answer.json()).toMatchObject({ code: 'missing_token' });
  });
});

describe('requests Node refuses before the app sees them', () => {
  let running: RunningServer;
  beforeAll(async () => {
    running = await startServer(loadConfig({ db: ':memory:', port: 0, logLevel: 'silent', portalEnabled: false }, {}), { logger: silentLogger() });
  });
  afterAll(async () => running.close());

  it('answers headers over the limit with 431 and a problem body', async () => {
    const answer = await rawRequest(running.url, `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(answer.status).toBe(431);
    expect(answer.headers['content-type']).toBe('application/problem+json');
    expect(JSON.parse(answer.body)).toMatchObject({ status: 431, code: 'headers_too_large' });
  });

  it('answers a malformed request line with 400 and a problem body', async () => {
    const answer = await rawRequest(running.url, 'GET /healthz HTTP/1.1 junk\r\nHost: x\r\n\r\n');
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toMatchObject({ code: 'invalid_request' });
  });
});
