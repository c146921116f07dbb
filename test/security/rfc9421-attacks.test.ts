import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { signRequest } from '../../src/client/sign.js';
import { withAlice, type Harness, type TestConsumer } from '../helpers/harness.js';
import { edKey, httpSignedHeaders, sendHttpSigned, type HttpSignedCall } from '../helpers/http-signatures.js';
import { expectRefused } from '../helpers/security.js';
import { FUZZ_RUNS, FUZZ_TIMEOUT_MS } from '../helpers/test-env.js';

/**
 * Hostile RFC 9421 requests: every one is refused with a stable 4xx code, never a 5xx, and none
 * writes the replay store. Those whose signature verifies are explained precisely (the signer wrote
 * what is wrong); the others look alike (invalid_token, no detail).
 */
describe('RFC 9421 hostile requests', () => {
  let h: Harness;
  let alice: TestConsumer;
  withAlice((s) => ({ h, alice } = s));

  const call = (extra: Partial<HttpSignedCall> = {}): HttpSignedCall => ({ method: 'GET', path: '/v1/whoami', key: edKey(alice.pair), kid: alice.kid, ...extra });

  /** Re-signs a Signature-Input of the attacker's choosing with alice's key: a signer who leaves things out. */
  async function signedInput(components: string[], params: string, body?: string): Promise<Record<string, string>> {
    const { signatureBase } = await import('../../src/protocol/http-signatures/signature-base.js');
    const { signBytes } = await import('../../src/client/http-signature.js');
    const { encodeBase64 } = await import('../../src/protocol/base64url.js');
    const { contentDigestFor } = await import('../../src/protocol/http-signatures/content-digest.js');
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-digest'] = await contentDigestFor(new TextEncoder().encode(body));
    const inner = `(${components.map((c) => `"${c}"`).join(' ')})${params}`;
    const base = signatureBase(components, inner, {
      method: body === undefined ? 'GET' : 'POST',
      targetUri: h.origin + (body === undefined ? '/v1/whoami' : '/v1/echo'),
      header: (name) => headers[name],
    });
    const signature = await signBytes(edKey(alice.pair), new TextEncoder().encode(base));
    return { ...headers, 'signature-input': `sig1=${inner}`, signature: `sig1=:${encodeBase64(signature)}:` };
  }

  const now = () => Math.floor(h.clock.now() / 1000);
  const params = (extra = '') => `;created=${now()};expires=${now() + 30};nonce="${crypto.randomUUID().replaceAll('-', '')}";keyid="${alice.kid}"${extra}`;

  it('explains a verified signature that leaves @method or the target uncovered, naming the component', async () => {
    const noMethod = await signedInput(['@target-uri'], params());
    const refusal = await expectRefused(h, () => fetch(h.baseUrl + '/v1/whoami', { headers: noMethod }), 'binding_mismatch');
    expect(refusal.body.missing_components).toEqual(['@method']);
    const partTarget = await signedInput(['@method', '@authority', '@path'], params());
    const second = await expectRefused(h, () => fetch(h.baseUrl + '/v1/whoami', { headers: partTarget }), 'binding_mismatch');
    expect(second.body.missing_components).toEqual(['@query']);
    expect(second.body.detail).toMatch(/@query/);
  });

  it('explains a request with a body whose signature does not cover content-digest', async () => {
    const headers = await signedInput(['@method', '@target-uri'], params(), '{"x":1}');
    const refusal = await expectRefused(h, () => fetch(h.baseUrl + '/v1/echo', { method: 'POST', headers, body: '{"x":1}' }), 'binding_mismatch');
    expect(refusal.body.missing_components).toEqual(['content-digest']);
  });

  it('explains a Content-Digest that does not match the body, expected versus received', async () => {
    const headers = await httpSignedHeaders(h, call({ method: 'POST', path: '/v1/echo', body: '{"amount":1}' }));
    const refusal = await expectRefused(h, () => fetch(h.baseUrl + '/v1/echo', { method: 'POST', headers, body: '{"amount":9}' }), 'binding_mismatch');
    const [mismatch] = refusal.body.mismatches as Array<{ claim: string; expected: string; received: string }>;
    expect(mismatch!.claim).toBe('content-digest');
    expect(mismatch!.received).toBe(headers['content-digest']);
    expect(mismatch!.expected).not.toBe(mismatch!.received);
  });

  it('explains missing created, expires or nonce, and a nonce with too little randomness', async () => {
    const headers = await signedInput(['@method', '@target-uri'], `;created=${now()};keyid="${alice.kid}"`);
    const refusal = await expectRefused(h, () => fetch(h.baseUrl + '/v1/whoami', { headers }), 'invalid_token');
    expect(refusal.body.missing_parameters).toEqual(['expires', 'nonce']);
    const shortNonce = await signedInput(['@method', '@target-uri'], `;created=${now()};expires=${now() + 30};nonce="abc";keyid="${alice.kid}"`);
    const second = await expectRefused(h, () => fetch(h.baseUrl + '/v1/whoami', { headers: shortNonce }), 'invalid_token');
    expect(second.body.detail).toMatch(/nonce/);
  });

  it('refuses created in the future, expires past the maximum lifetime, and an expired signature', async () => {
    await expectRefused(h, () => sendHttpSigned(h, call({ signed: { now: h.clock.now() + 3_600_000 } })), 'token_issued_in_future');
    const long = await signedInput(['@method', '@target-uri'], `;created=${now()};expires=${now() + 3600};nonce="${'n'.repeat(22)}";keyid="${alice.kid}"`);
    await expectRefused(h, () => fetch(h.baseUrl + '/v1/whoami', { headers: long }), 'token_lifetime_too_long');
    await expectRefused(h, () => sendHttpSigned(h, call({ signed: { now: h.clock.now() - 3_600_000 } })), 'token_expired');
  });

  it('refuses duplicate labels, a repeated parameter and a component covered twice alike, before any crypto', async () => {
    const headers = await httpSignedHeaders(h, call());
    const tries: Array<Record<string, string>> = [
      { ...headers, 'signature-input': `${headers['signature-input']}, ${headers['signature-input']}` },
      { ...headers, signature: `${headers['signature']}, ${headers['signature']}` },
      { ...headers, 'signature-input': headers['signature-input']!.replace(';created=', ';created=1;created=') },
      { ...headers, 'signature-input': headers['signature-input']!.replace('("@method"', '("@method" "@method"') },
      { ...headers, 'signature-input': `${headers['signature-input']}, sig2=("@method");keyid="${alice.kid}"`, signature: `${headers['signature']}, sig2=:AAAA:` },
    ];
    for (const attempt of tries) {
      const refusal = await expectRefused(h, () => fetch(h.baseUrl + '/v1/whoami', { headers: attempt }), 'invalid_token');
      expect(refusal.body.detail).toBe('The request signature could not be verified.');
    }
  });

  it('refuses an alg disagreeing with the stored key, whatever signed it', async () => {
    const headers = await signedInput(['@method', '@target-uri'], params(';alg="hmac-sha256"'));
    await expectRefused(h, () => fetch(h.baseUrl + '/v1/whoami', { headers }), 'invalid_token');
    const rsa = await signedInput(['@method', '@target-uri'], params(';alg="rsa-pss-sha512"'));
    await expectRefused(h, () => fetch(h.baseUrl + '/v1/whoami', { headers: rsa }), 'invalid_token');
  });

  it('refuses a nonce replayed in the same format, and a JWS and an RFC 9421 signature on one request', async () => {
    const headers = await httpSignedHeaders(h, call());
    expect((await fetch(h.baseUrl + '/v1/whoami', { headers })).status).toBe(200);
    await expectRefused(h, () => fetch(h.baseUrl + '/v1/whoami', { headers }), 'token_replayed');
    const fresh = await httpSignedHeaders(h, call());
    const jws = await signRequest({ method: 'GET', url: h.origin + '/v1/whoami', key: edKey(alice.pair), kid: alice.kid, now: h.clock.now() });
    await expectRefused(h, () => fetch(h.baseUrl + '/v1/whoami', { headers: { ...fresh, authorization: jws.authorization } }), 'invalid_token');
  });

  it('refuses a signature made for another origin or another path, and a covered field that is removed', async () => {
    await expectRefused(h, () => sendHttpSigned(h, call({ signed: { url: 'https://evil.example/v1/whoami' } })), 'invalid_token');
    await expectRefused(h, () => sendHttpSigned(h, call({ signed: { url: h.origin + '/v1/whoami?admin=1' } })), 'invalid_token');
    const headers = await httpSignedHeaders(h, call({ method: 'POST', path: '/v1/echo', body: 'x' }));
    delete headers['content-digest'];
    await expectRefused(h, () => fetch(h.baseUrl + '/v1/echo', { method: 'POST', headers, body: 'x' }), 'invalid_token');
  });

  it('refuses oversized and malformed structured fields with invalid_token, never a 5xx', async () => {
    const headers = await httpSignedHeaders(h, call());
    const hostile = [
      { ...headers, 'signature-input': headers['signature-input']!.replace('(', '(' + ' '.repeat(9000)) },
      { ...headers, 'signature-input': 'sig1=("@method" "@target-uri"' },
      { ...headers, 'signature-input': 'sig1=("@method");keyid="' + 'k'.repeat(200) + '"' },
      { ...headers, signature: 'sig1=:%%%:' },
      { ...headers, signature: 'sig1=' + 'A'.repeat(8000) },
      { ...headers, 'signature-input': 'sig1=("@method");created=99999999999999999;keyid="k"' },
      { 'signature-input': headers['signature-input']! },
      { signature: headers['signature']! },
    ];
    for (const attempt of hostile) await expectRefused(h, () => fetch(h.baseUrl + '/v1/whoami', { headers: attempt }), 'invalid_token');
  });

  it(
    'answers random Signature-Input and Signature fields with 401 invalid_token only',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.string({ maxLength: 120 }).filter((s) => /^[\x20-\x7e]*$/.test(s)),
          fc.string({ maxLength: 120 }).filter((s) => /^[\x20-\x7e]*$/.test(s)),
          async (input, signature) => {
            const response = await fetch(h.baseUrl + '/v1/whoami', { headers: { 'signature-input': input, signature } });
            const body = (await response.json()) as { code: string };
            expect([response.status, body.code]).toEqual([401, 'invalid_token']);
          },
        ),
        { numRuns: Math.min(FUZZ_RUNS, 200) },
      );
    },
    FUZZ_TIMEOUT_MS,
  );
});
