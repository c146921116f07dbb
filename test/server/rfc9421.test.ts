import { createPublicKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signRequest } from '../../src/client/sign.js';
import { createVerifier } from '../../src/server/verifier.js';
import { MemoryReplayStore } from '../../src/store/memory-replay-store.js';
import { ManualClock } from '../../src/clock.js';
import { SignetError } from '../../src/protocol/errors.js';
import { importEd25519PublicKey } from '../../src/protocol/public-key.js';
import type { ResolvedKey } from '../../src/server/key-cache.js';
import { readAnswer, T0, withAlice, type Harness, type TestConsumer } from '../helpers/harness.js';
import { hmacConsumer } from '../helpers/hmac.js';
import { parseHmacSecret } from '../../src/protocol/hmac-secret.js';
import { edKey, sendHttpSigned } from '../helpers/http-signatures.js';
import { readSharedVector } from '../helpers/vectors.js';

describe('RFC 9421 requests on protected routes', () => {
  let h: Harness;
  let alice: TestConsumer;
  withAlice((s) => ({ h, alice } = s));

  it('accepts an Ed25519 signature over method and target URI, and says which format it was', async () => {
    const answer = await readAnswer(await sendHttpSigned(h, { method: 'GET', path: '/v1/whoami?x=1', key: edKey(alice.pair), kid: alice.kid }));
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ key_id: alice.kid, mode: 'ed25519', format: 'rfc9421' });
  });

  it('accepts a POST whose Content-Digest matches the body and passes the exact body on', async () => {
    const answer = await readAnswer(await sendHttpSigned(h, { method: 'POST', path: '/v1/echo', body: '{"a":1}', key: edKey(alice.pair), kid: alice.kid }));
    expect(answer.status).toBe(200);
    expect(answer.body.body).toBe('{"a":1}');
  });

  it('accepts an HMAC key signing with hmac-sha256', async () => {
    const admin = await h.addAdmin('rfc-admin');
    const issued = await hmacConsumer(h, admin, 'rfc-hmac');
    const key = { type: 'hmac' as const, secret: parseHmacSecret(issued.secret) };
    const answer = await readAnswer(await sendHttpSigned(h, { method: 'GET', path: '/v1/whoami', key, kid: issued.kid }));
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ key_id: issued.kid, mode: 'hmac', format: 'rfc9421' });
  });

  it('refuses a nonce spent as a JWS jti, and a jti spent as an RFC 9421 nonce', async () => {
    const jti = 'cross-format-nonce-0000001';
    const jws = await signRequest({ method: 'GET', url: h.origin + '/v1/whoami', key: edKey(alice.pair), kid: alice.kid, now: h.clock.now(), jti });
    expect((await fetch(h.baseUrl + '/v1/whoami', { headers: { Authorization: jws.authorization } })).status).toBe(200);
    const replayed = await readAnswer(await sendHttpSigned(h, { method: 'GET', path: '/v1/whoami', key: edKey(alice.pair), kid: alice.kid, signed: { nonce: jti } }));
    expect(replayed.status).toBe(401);
    expect(replayed.body.code).toBe('token_replayed');

    const nonce = 'cross-format-nonce-0000002';
    expect((await sendHttpSigned(h, { method: 'GET', path: '/v1/whoami', key: edKey(alice.pair), kid: alice.kid, signed: { nonce } })).status).toBe(200);
    const jws2 = await signRequest({ method: 'GET', url: h.origin + '/v1/whoami', key: edKey(alice.pair), kid: alice.kid, now: h.clock.now(), jti: nonce });
    const second = await readAnswer(await fetch(h.baseUrl + '/v1/whoami', { headers: { Authorization: jws2.authorization } }));
    expect(second.body.code).toBe('token_replayed');
  });

  it('counts authenticated requests by format in the metrics', async () => {
    await sendHttpSigned(h, { method: 'GET', path: '/v1/whoami', key: edKey(alice.pair), kid: alice.kid });
    const text = await (await fetch(h.baseUrl + '/metrics')).text();
    expect(text).toMatch(/signet_authenticated_requests_total\{format="rfc9421",mode="ed25519"\} [1-9]/);
  });
});

describe('RFC 9421 label rule with a configured label', () => {
  let h: Harness;
  let alice: TestConsumer;
  withAlice((s) => ({ h, alice } = s), { httpSignatureLabel: 'signet' });

  it('verifies the configured label and leaves another signature alone', async () => {
    const ok = await sendHttpSigned(h, {
      method: 'GET',
      path: '/v1/whoami',
      key: edKey(alice.pair),
      kid: alice.kid,
      signed: { label: 'signet' },
      mangle: (headers) => {
        headers['signature-input'] += ', proxy=("@method");keyid="other"';
        headers['signature'] += ', proxy=:AAAA:';
      },
    });
    expect(ok.status).toBe(200);
    const other = await readAnswer(await sendHttpSigned(h, { method: 'GET', path: '/v1/whoami', key: edKey(alice.pair), kid: alice.kid }));
    expect(other.body.code).toBe('invalid_token');
  });
});

interface AppendixB {
  'B.1.4_test-key-ed25519': { publicSpki: string };
  'B.1.5_test-shared-secret_b64': string;
  'B.2.5_hmac-sha256': { signatureBase: string; signatureB64: string };
  'B.2.6_ed25519': { signatureBase: string; signatureB64: string };
}
const vectors = readSharedVector<AppendixB>('rfc9421_appendix_b.json', 'the RFC 9421 Appendix B policy tests');

describe.skipIf(vectors === undefined)('RFC 9421 Appendix B examples against Signet policy', () => {
  const v = vectors!;
  const TEST_HEADERS = {
    host: 'example.com',
    date: 'Tue, 20 Apr 2021 02:07:55 GMT',
    'content-type': 'application/json',
    'content-digest': 'sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:',
    'content-length': '18',
  };

  function verifierWith(resolved: Omit<ResolvedKey, 'consumer'>) {
    const consumer = {
      id: 'con_test',
      name: 't',
      status: 'active' as const,
      plan: null,
      rateLimitOverrides: null,
      metadata: {},
      allowedModes: ['ed25519' as const, 'hmac' as const],
      createdAt: 0,
      updatedAt: 0,
    };
    return createVerifier({
      config: { publicOrigin: 'https://example.com', audience: 'https://example.com', maxTokenLifetimeSeconds: 60, clockSkewSeconds: 60 },
      keys: { resolve: async (kid) => (kid === resolved.key.id ? { ...resolved, consumer } : undefined) },
      replay: new MemoryReplayStore({ capacity: 10, clock: new ManualClock(T0) }),
      clock: new ManualClock(1618884473_000),
    });
  }

  function keyRecord(id: string, type: 'ed25519' | 'hmac', publicKey: Uint8Array | null) {
    return { id, consumerId: 'con_test', type, publicKey, thumbprint: null, label: '', scopes: [], notBefore: null, expiresAt: null, revokedAt: null, lastUsedAt: null, createdAt: 0 };
  }

  /** The SignetError a verification is refused with (a success fails the instanceof check). */
  const refusal = async (verification: Promise<unknown>): Promise<SignetError> => {
    const outcome: unknown = await verification.catch((e: unknown) => e);
    expect(outcome).toBeInstanceOf(SignetError);
    return outcome as SignetError;
  };

  function request(example: { signatureBase: string; signatureB64: string }) {
    const params = example.signatureBase.slice(example.signatureBase.lastIndexOf(': ') + 2);
    return {
      method: 'POST',
      target: '/foo?param=Value&Pet=dog',
      authorization: undefined,
      body: new TextEncoder().encode('{"hello": "world"}'),
      headers: { ...TEST_HEADERS, 'signature-input': `sig-b2=${params}`, signature: `sig-b2=:${example.signatureB64}:` },
    };
  }

  it('B.2.6 verifies under the test key, then is refused for lacking expires and nonce (invalid_token, naming them)', async () => {
    const publicKey = importEd25519PublicKey(v['B.1.4_test-key-ed25519'].publicSpki);
    const keyObject = createPublicKey(v['B.1.4_test-key-ed25519'].publicSpki);
    const verify = verifierWith({ key: keyRecord('test-key-ed25519', 'ed25519', publicKey), keyObject });
    const error = await refusal(verify(request(v['B.2.6_ed25519'])));
    expect(error.code).toBe('invalid_token');
    expect(error.extra.missing_parameters).toEqual(['expires', 'nonce']);
    expect(error.detail).toMatch(/expires, nonce/);
  });

  it('B.2.5 verifies under the shared secret, then is refused for lacking expires and nonce (invalid_token, naming them)', async () => {
    const secret = new Uint8Array(Buffer.from(v['B.1.5_test-shared-secret_b64'], 'base64'));
    const verify = verifierWith({ key: keyRecord('test-shared-secret', 'hmac', null), keyObject: null, hmacSecret: secret });
    const error = await refusal(verify(request(v['B.2.5_hmac-sha256'])));
    expect(error.code).toBe('invalid_token');
    expect(error.extra.missing_parameters).toEqual(['expires', 'nonce']);
  });

  it('a tampered B.2.6 signature fails before any policy is explained', async () => {
    const publicKey = importEd25519PublicKey(v['B.1.4_test-key-ed25519'].publicSpki);
    const verify = verifierWith({ key: keyRecord('test-key-ed25519', 'ed25519', publicKey), keyObject: createPublicKey(v['B.1.4_test-key-ed25519'].publicSpki) });
    const tampered = request(v['B.2.6_ed25519']);
    tampered.headers.date = 'Wed, 21 Apr 2021 02:07:55 GMT';
    const error = await refusal(verify(tampered));
    expect(error.code).toBe('invalid_token');
    expect(error.extra).toEqual({});
    expect(error.privateDetail).toBe('signature does not verify');
  });
});
