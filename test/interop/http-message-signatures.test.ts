import { createHash, createPublicKey, KeyObject } from 'node:crypto';
import { createSigner, createVerifier, httpbis } from 'http-message-signatures';
import { describe, expect, it } from 'vitest';
import { signRequest } from '../../src/client/sign.js';
import { newJti } from '../../src/protocol/ids.js';
import { publicKeyToPem } from '../../src/protocol/public-key.js';
import { parseHmacSecret } from '../../src/protocol/hmac-secret.js';
import { readAnswer, withAlice, type Harness, type TestConsumer } from '../helpers/harness.js';
import { hmacConsumer } from '../helpers/hmac.js';

/**
 * Interop both ways with the http-message-signatures npm package (an independent RFC 9421
 * implementation): it signs and Signet verifies; Signet's client signs and it verifies.
 */
describe('RFC 9421 interop with http-message-signatures', () => {
  let h: Harness;
  let alice: TestConsumer;
  withAlice((s) => ({ h, alice } = s));

  const FIELDS_NO_BODY = ['@method', '@target-uri'];
  const PARAMS = ['created', 'expires', 'nonce', 'keyid', 'alg'];

  async function sendSignedByLibrary(signer: ReturnType<typeof createSigner>, method: string, path: string, body?: string): Promise<Response> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-digest'] = `sha-256=:${createHash('sha256').update(body).digest('base64')}:`;
    const created = new Date(h.clock.now());
    const signed = await httpbis.signMessage(
      {
        key: signer,
        name: 'sig1',
        fields: body === undefined ? FIELDS_NO_BODY : [...FIELDS_NO_BODY, 'content-digest'],
        params: PARAMS,
        paramValues: { created, expires: new Date(created.getTime() + 30_000), nonce: newJti() },
      },
      { method, url: h.origin + path, headers },
    );
    return fetch(h.baseUrl + path, { method, headers: signed.headers as Record<string, string>, ...(body !== undefined ? { body } : {}) });
  }

  it('Signet verifies an Ed25519 GET signed by http-message-signatures', async () => {
    const signer = createSigner(KeyObject.from(alice.pair.privateKey), 'ed25519', alice.kid);
    const answer = await readAnswer(await sendSignedByLibrary(signer, 'GET', '/v1/whoami?q=a%20b'));
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(answer.body).toMatchObject({ key_id: alice.kid, format: 'rfc9421' });
  });

  it('Signet verifies an Ed25519 POST with Content-Digest signed by http-message-signatures', async () => {
    const signer = createSigner(KeyObject.from(alice.pair.privateKey), 'ed25519', alice.kid);
    const answer = await readAnswer(await sendSignedByLibrary(signer, 'POST', '/v1/echo', '{"from":"library"}'));
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(answer.body.body).toBe('{"from":"library"}');
  });

  it('Signet verifies an hmac-sha256 signature made by http-message-signatures', async () => {
    const admin = await h.addAdmin('interop-admin');
    const issued = await hmacConsumer(h, admin, 'interop-hmac');
    const signer = createSigner(Buffer.from(parseHmacSecret(issued.secret)), 'hmac-sha256', issued.kid);
    const answer = await readAnswer(await sendSignedByLibrary(signer, 'GET', '/v1/whoami'));
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(answer.body).toMatchObject({ key_id: issued.kid, mode: 'hmac' });
  });

  async function verifyWithLibrary(headers: Record<string, string>, method: string, url: string, key: ReturnType<typeof createVerifier>, alg: string): Promise<boolean | null> {
    return httpbis.verifyMessage(
      {
        keyLookup: async (params) => (params.keyid === alice.kid || params.keyid === 'key_hmac' ? { id: params.keyid, algs: [alg], verify: key } : null),
        requiredParams: ['created', 'expires', 'nonce', 'keyid'],
        requiredFields: ['@method', '@target-uri'],
      },
      { method, url, headers },
    );
  }

  it('http-message-signatures verifies an Ed25519 signature from Signet client kit, and refuses it for another URL', async () => {
    const url = 'https://api.example.test/v1/echo?x=1';
    const signed = await signRequest({ method: 'POST', url, body: '{"from":"signet"}', key: alice.pair, kid: alice.kid }, { format: 'rfc9421' });
    const verifier = createVerifier(createPublicKey(publicKeyToPem(alice.pair.publicKey)), 'ed25519');
    expect(await verifyWithLibrary(signed.headers, 'POST', url, verifier, 'ed25519')).toBe(true);
    expect(await verifyWithLibrary(signed.headers, 'POST', url + '&y=2', verifier, 'ed25519')).toBe(false);
  });

  it('http-message-signatures verifies an hmac-sha256 signature from Signet client kit', async () => {
    const secret = new Uint8Array(32).fill(9);
    const url = 'https://api.example.test/v1/whoami';
    const signed = await signRequest({ method: 'GET', url, key: { type: 'hmac', secret }, kid: 'key_hmac' }, { format: 'rfc9421' });
    expect(await verifyWithLibrary(signed.headers, 'GET', url, createVerifier(Buffer.from(secret), 'hmac-sha256'), 'hmac-sha256')).toBe(true);
  });
});
