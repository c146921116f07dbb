import { afterEach, describe, expect, it } from 'vitest';
import { encodeBase64url } from '../../src/protocol/base64url.js';
import { SignetError } from '../../src/protocol/errors.js';
import { MAX_TOKEN_LENGTH } from '../../src/protocol/format.js';
import { parseStrictJson } from '../../src/protocol/strict-json.js';
import { type Harness, type TestConsumer, withAlice } from '../helpers/harness.js';
import { rawRequest } from '../helpers/raw-http.js';
import { expectRefused, getWith } from '../helpers/security.js';
import { claimsFor, craftToken, ed25519Signer, headerFor, segment, type Signer } from '../helpers/tokens.js';

/**
 * Attacks on the token's encoding: prototype members, byte-order marks and invalid UTF-8,
 * duplicate claims, deep nesting, huge tokens, wrong segment counts and empty signatures. Each is a
 * 401 invalid_token with the replay store untouched; deep input never overflows the stack.
 */

const encoder = new TextEncoder();
const bytes = (...parts: Array<string | number[]>) => Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? [...encoder.encode(p)] : p)));

/** A token from raw header and payload bytes, signed over their base64url segments. */
async function craftBytes(header: Uint8Array, payload: Uint8Array, sign: Signer): Promise<string> {
  const input = `${encodeBase64url(header)}.${encodeBase64url(payload)}`;
  return `${input}.${encodeBase64url(await sign(input))}`;
}

describe('attacks on the token encoding', () => {
  let h: Harness;
  let alice: TestConsumer;
  withAlice((started) => ({ h, alice } = started));
  afterEach(() => {
    // Whatever a test sent, nothing may have reached Object.prototype.
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
    expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'admin')).toBe(false);
  });

  const sign = () => ed25519Signer(alice.pair.privateKey);
  const claims = (overrides: Record<string, unknown> = {}) => claimsFor(h.origin, h.clock.now(), overrides);
  const headerText = () => JSON.stringify(headerFor(alice.kid));
  /** The claims as JSON text with `extra` spliced in before the closing brace. */
  const claimsWith = (extra: string) => JSON.stringify(claims()).slice(0, -1) + ',' + extra + '}';
  const refused = (token: string) => expectRefused(h, getWith(h, `Signet ${token}`), 'invalid_token');

  it('refuses __proto__ members in the header and in the payload, plainly and escaped, and Object.prototype stays clean', async () => {
    const proto = ['"__proto__":{"admin":true}', '"\\u005f_proto__":{"admin":true}', '"__proto__":null'];
    for (const member of proto) {
      await refused(await craftToken(`{${member},"alg":"EdDSA","kid":"${alice.kid}","typ":"signet+jwt"}`, claims(), sign()));
      await refused(await craftToken(headerText(), claimsWith(member), sign()));
    }
    await refused(await craftToken(headerText(), claimsWith('"constructor":{"prototype":{"admin":true}}'), sign()));
    await refused(await craftToken(`{"alg":"EdDSA","kid":"${alice.kid}","typ":"signet+jwt","constructor":{"prototype":{"admin":true}}}`, claims(), sign()));
    const proven = await h.send({ method: 'GET', path: '/v1/whoami', pair: alice.pair, kid: alice.kid });
    expect(proven.status).toBe(200);
    expect(((await proven.json()) as Record<string, unknown>).admin).toBeUndefined();
  });

  it('refuses duplicate claims in a correctly signed payload (jti, url, exp) after verifying the signature', async () => {
    const base = claims();
    for (const duplicate of [`"jti":"${'B'.repeat(22)}"`, `"url":"${h.origin}/admin/v1/consumers"`, `"exp":${(base.exp as number) + 1000}`, `"method":"GET"`]) {
      const { body } = await refused(await craftToken(headerText(), JSON.stringify(base).slice(0, -1) + ',' + duplicate + '}', sign()));
      expect(body.detail).toMatch(/strict JSON/);
    }
  });

  it('refuses a byte-order mark before the header or the payload JSON', async () => {
    const bom = [0xef, 0xbb, 0xbf];
    await refused(await craftBytes(bytes(bom, headerText()), bytes(JSON.stringify(claims())), sign()));
    await refused(await craftBytes(bytes(headerText()), bytes(bom, JSON.stringify(claims())), sign()));
    await refused(await craftBytes(bytes(headerText(), bom), bytes(JSON.stringify(claims())), sign()));
  });

  it('refuses invalid UTF-8 in the header and in the payload: stray, overlong, surrogate and truncated sequences', async () => {
    const invalid = [[0xff], [0xc0, 0xaf], [0xe0, 0x80, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xf8, 0x88, 0x80, 0x80, 0x80], [0x80]];
    for (const seq of invalid) {
      const header = bytes(`{"alg":"EdDSA","kid":"${alice.kid}","typ":"signet+jwt","x":"`, seq, '"}');
      await refused(await craftBytes(header, bytes(JSON.stringify(claims())), sign()));
      const jti = 'A'.repeat(22);
      const payload = bytes(JSON.stringify(claims({ jti })).replace(`"${jti}"`, '"'), seq, `${jti}"`);
      await refused(await craftBytes(bytes(headerText()), payload, sign()));
    }
  });

  it('refuses a correctly signed payload nested deeper than the parser allows, within the size cap', async () => {
    for (const depth of [9, 100, 2500]) {
      const nested = '['.repeat(depth) + ']'.repeat(depth);
      const token = await craftToken(headerText(), claimsWith(`"x":${nested}`), sign());
      expect(token.length).toBeLessThanOrEqual(MAX_TOKEN_LENGTH);
      await refused(token);
    }
    await refused(await craftToken(headerText(), '['.repeat(3000) + ']'.repeat(3000), sign()));
  });

  it('refuses a 200000-level payload with invalid_token and no stack overflow: in the parser, the verifier and over HTTP', async () => {
    const deep = '{"a":'.repeat(200_000) + '1' + '}'.repeat(200_000);
    let parserError: unknown;
    try {
      parseStrictJson(encoder.encode(deep));
    } catch (error) {
      parserError = error;
    }
    expect(parserError).toBeInstanceOf(SignetError);
    expect((parserError as SignetError).code).toBe('invalid_token');

    const token = await craftToken(headerText(), deep, sign());
    let verifierError: unknown;
    try {
      await h.signet.server.verify({ method: 'GET', target: '/v1/whoami', authorization: `Signet ${token}`, body: new Uint8Array(0) });
    } catch (error) {
      verifierError = error;
    }
    expect(verifierError).toBeInstanceOf(SignetError);
    expect((verifierError as SignetError).code).toBe('invalid_token');

    // Over HTTP, Node refuses a header of this size itself (431) before Signet sees it; in the query it is 414 or 431.
    const viaHeader = await rawRequest(h.baseUrl, `GET /v1/whoami HTTP/1.1\r\nHost: x\r\nAuthorization: Signet ${token}\r\nConnection: close\r\n\r\n`);
    expect(viaHeader.status).toBe(431);
    expect(JSON.parse(viaHeader.body)).toMatchObject({ code: 'headers_too_large' });
    const viaQuery = await rawRequest(h.baseUrl, `GET /v1/whoami?signet_token=${token} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    expect([414, 431]).toContain(viaQuery.status);
    // Just under Node's header limit the token reaches Signet, which refuses it by length before decoding.
    const big = await craftToken(headerText(), '{"a":'.repeat(2_000) + '1' + '}'.repeat(2_000), sign());
    expect(big.length).toBeGreaterThan(MAX_TOKEN_LENGTH);
    await refused(big);
    expect((await h.send({ method: 'GET', path: '/v1/whoami', pair: alice.pair, kid: alice.kid })).status).toBe(200);
  });

  it('refuses a 1 MiB Authorization header with 431 headers_too_large and a problem body, and keeps serving', async () => {
    const response = await rawRequest(h.baseUrl, `GET /v1/whoami HTTP/1.1\r\nHost: x\r\nAuthorization: Signet ${'A'.repeat(1 << 20)}\r\nConnection: close\r\n\r\n`);
    expect(response.status).toBe(431);
    expect(response.headers['content-type']).toBe('application/problem+json');
    const problem = JSON.parse(response.body) as { code: string; status: number; request_id: string; server_time: number };
    expect(problem).toMatchObject({ code: 'headers_too_large', status: 431, request_id: response.headers['request-id'] });
    expect(problem.server_time).toBe(Math.floor(h.clock.now() / 1000));
    expect((await h.send({ method: 'GET', path: '/v1/whoami', pair: alice.pair, kid: alice.kid })).status).toBe(200);
  });

  it('refuses tokens with 0, 1, 2, 4 and 5 segments, empty segments, and the JSON serialisation of a JWS', async () => {
    const token = await craftToken(headerText(), claims(), sign());
    const [h64, p64, s64] = token.split('.') as [string, string, string];
    const candidates = [
      h64,
      `${h64}.${p64}`,
      `${h64}.${p64}.${s64}.`,
      `${h64}.${p64}.${s64}.${s64}`,
      `${h64}.${h64}.${p64}.${p64}.${s64}`,
      `.${h64}.${p64}.${s64}`,
      `${h64}..${s64}`,
      `.${p64}.${s64}`,
      '..',
      '.',
      JSON.stringify({ protected: h64, payload: p64, signature: s64 }),
      JSON.stringify({ payload: p64, signatures: [{ protected: h64, signature: s64 }] }),
    ];
    for (const candidate of candidates) await refused(candidate);
    expect((await fetch(h.baseUrl + '/v1/whoami', { headers: { Authorization: `Signet ${token}` } })).status).toBe(200);
  });

  it('refuses an empty signature segment and an all-zero signature under a valid header (null signature, CVE-2020-28042)', async () => {
    const token = await craftToken(headerText(), claims(), sign());
    const [h64, p64] = token.split('.') as [string, string, string];
    await refused(`${h64}.${p64}.`);
    await refused(`${h64}.${p64}.${encodeBase64url(new Uint8Array(64))}`);
    await refused(`${h64}.${p64}.AA`);
    await refused(`${segment(JSON.stringify(headerFor(alice.kid, 'Ed25519')))}.${p64}.`);
  });
});
