import { createHash, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { CompactSign, compactVerify, exportJWK, generateKeyPair as joseKeyPair, importJWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair, jwkThumbprint, type Ed25519KeyPair } from '../../src/client/keys.js';
import { presignUrl } from '../../src/client/presign.js';
import { signRequest } from '../../src/client/sign.js';
import { createSignedFetch } from '../../src/client/signed-fetch.js';
import { parseHmacSecret } from '../../src/protocol/hmac-secret.js';
import { newConsumerId, newKeyId } from '../../src/protocol/ids.js';
import { jwkThumbprint as serverThumbprint, publicKeyToJwk } from '../../src/protocol/public-key.js';
import { startHarness, T0, type Harness } from '../helpers/harness.js';
import { hmacConsumer } from '../helpers/hmac.js';
import { harnessFetch } from './harness-fetch.js';

const KID = 'key_AAAAAAAAAAAAAAAAAAAAAA';
const decoder = new TextDecoder();

/** Verifies with jose alone and answers the header and claims it read. */
async function joseVerify(token: string, key: CryptoKey | Uint8Array, algorithms: string[]): Promise<{ header: unknown; claims: unknown }> {
  const { payload, protectedHeader } = await compactVerify(token, key, { algorithms });
  return { header: protectedHeader, claims: JSON.parse(decoder.decode(payload)) };
}

async function publicCryptoKey(pair: Ed25519KeyPair): Promise<CryptoKey> {
  return (await importJWK({ ...publicKeyToJwk(pair.publicKey) }, 'EdDSA')) as CryptoKey;
}

const requests = fc.record({
  method: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE'),
  path: fc.stringMatching(/^\/[a-z0-9/]{0,20}$/),
  query: fc.option(fc.stringMatching(/^[a-z]=[a-z0-9]{0,8}$/), { nil: undefined }),
  body: fc.option(fc.uint8Array({ maxLength: 64 }), { nil: undefined }),
});

describe('every token the client kit makes verifies with jose compactVerify', () => {
  let pair: Ed25519KeyPair;
  let publicKey: CryptoKey;
  const secret = new Uint8Array(randomBytes(32));

  beforeAll(async () => {
    pair = await generateKeyPair();
    publicKey = await publicCryptoKey(pair);
  });

  it('signRequest with an Ed25519 key, as EdDSA and as Ed25519 (RFC 9864), for any request', async () => {
    await fc.assert(
      fc.asyncProperty(requests, fc.constantFrom('EdDSA' as const, 'Ed25519' as const), async (r, alg) => {
        const url = `https://api.example.com${r.path}${r.query === undefined ? '' : '?' + r.query}`;
        const signed = await signRequest({ method: r.method, url, ...(r.body !== undefined ? { body: r.body } : {}), key: { type: 'ed25519', privateKey: pair.privateKey, alg }, kid: KID });
        const read = await joseVerify(signed.token, publicKey, [alg]);
        expect(read.header).toEqual({ alg, kid: KID, typ: 'signet+jwt' });
        expect(read.claims).toEqual(signed.claims);
      }),
      { numRuns: 40 },
    );
  });

  it('signRequest with an HMAC secret, as HS256, for any request (the sgnt_hs_ text form is below)', async () => {
    await fc.assert(
      fc.asyncProperty(requests, async (r) => {
        const url = `https://api.example.com${r.path}`;
        const signed = await signRequest({ method: r.method, url, ...(r.body !== undefined ? { body: r.body } : {}), key: { type: 'hmac', secret }, kid: KID });
        const read = await joseVerify(signed.token, secret, ['HS256']);
        expect(read.header).toEqual({ alg: 'HS256', kid: KID, typ: 'signet+jwt' });
        expect(read.claims).toEqual(signed.claims);
      }),
      { numRuns: 40 },
    );
  });

  it('createSignedFetch (Authorization header) and presignUrl (query parameter), Ed25519 and HMAC', async () => {
    const h = await startHarness();
    try {
      const admin = await h.addAdmin();
      const hmac = await hmacConsumer(h, admin);
      const hmacBytes = parseHmacSecret(hmac.secret);
      const seen: string[] = [];
      const transport = harnessFetch(h);
      const capture = (url: string, init: RequestInit) => {
        seen.push(new Headers(init.headers).get('authorization')!.replace(/^Signet /, ''));
        return transport.fetch(url, init);
      };
      const edFetch = createSignedFetch({ baseUrl: h.origin, key: admin.pair, kid: admin.kid, fetch: capture, now: () => T0 });
      const hsFetch = createSignedFetch({ baseUrl: h.origin, key: hmac.secret, kid: hmac.kid, fetch: capture, now: () => T0 });
      expect((await edFetch('/v1/echo', { method: 'POST', body: { from: 'ed25519' } })).status).toBe(200);
      expect((await hsFetch('/v1/echo', { method: 'POST', body: { from: 'hmac' } })).status).toBe(200);
      const edLink = await presignUrl({ url: `${h.origin}/v1/whoami`, key: admin.pair, kid: admin.kid, now: T0 });
      const hsLink = await presignUrl({ url: `${h.origin}/v1/whoami`, key: hmac.secret, kid: hmac.kid, now: T0 });
      const linkToken = (link: string) => new URL(link).searchParams.get('signet_token')!;

      const adminKey = await publicCryptoKey(admin.pair);
      for (const token of [seen[0]!, linkToken(edLink.url)]) expect((await joseVerify(token, adminKey, ['EdDSA'])).header).toMatchObject({ kid: admin.kid });
      for (const token of [seen[1]!, linkToken(hsLink.url)]) expect((await joseVerify(token, hmacBytes, ['HS256'])).header).toMatchObject({ kid: hmac.kid });
    } finally {
      await h.close();
    }
  });

  it('computes the same RFC 7638 thumbprint with jose as the server does by hand, for any key', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constant(null), async () => {
        const { publicKey: raw } = await generateKeyPair();
        expect(await jwkThumbprint(raw)).toBe(await serverThumbprint(raw));
      }),
      { numRuns: 25 },
    );
  });
});

describe('tokens built with jose CompactSign from docs/protocol.md verify in Signet', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h.close());

  /** The documented header and claims (docs/protocol.md sections 2.1 and 2.2), written out by hand. */
  function documentedToken(alg: string, kid: string, method: string, path: string, body: string) {
    const iat = Math.floor(h.clock.now() / 1000);
    const header = { alg, kid, typ: 'signet+jwt' };
    const claims = {
      method,
      url: h.origin + path,
      body_sha256: createHash('sha256').update(body).digest('base64url'),
      aud: h.origin,
      iat,
      exp: iat + 60,
      jti: randomBytes(16).toString('base64url'),
    };
    return new CompactSign(new TextEncoder().encode(JSON.stringify(claims))).setProtectedHeader(header);
  }

  async function send(token: string, method: string, path: string, body: string): Promise<Response> {
    return fetch(h.baseUrl + path, { method, headers: { Authorization: `Signet ${token}`, 'content-type': 'text/plain' }, ...(body === '' ? {} : { body }) });
  }

  it.each(['EdDSA', 'Ed25519'])('an Ed25519 key made by jose, alg %s', async (alg) => {
    const { publicKey, privateKey } = await joseKeyPair('Ed25519');
    const raw = new Uint8Array(Buffer.from((await exportJWK(publicKey)).x!, 'base64url'));
    const kid = newKeyId();
    await h.stores.credentials.createConsumerWithKey(
      { id: newConsumerId(), name: `jose-${alg}` },
      { id: kid, consumerId: '', type: 'ed25519', publicKey: raw, thumbprint: await serverThumbprint(raw) },
      h.clock.now(),
    );
    const get = await send(await documentedToken(alg, kid, 'GET', '/v1/whoami', '').sign(privateKey), 'GET', '/v1/whoami', '');
    expect(get.status).toBe(200);
    expect(await get.json()).toMatchObject({ key_id: kid, mode: 'ed25519' });
    const post = await send(await documentedToken(alg, kid, 'POST', '/v1/echo', 'from jose').sign(privateKey), 'POST', '/v1/echo', 'from jose');
    expect(post.status).toBe(200);
    expect(await post.json()).toMatchObject({ body: 'from jose' });
  });

  it('an HMAC secret, alg HS256', async () => {
    const admin = await h.addAdmin();
    const { kid, secret } = await hmacConsumer(h, admin, 'jose-hs256');
    const key = parseHmacSecret(secret);
    const post = await send(await documentedToken('HS256', kid, 'POST', '/v1/echo', 'hs from jose').sign(key), 'POST', '/v1/echo', 'hs from jose');
    expect(post.status).toBe(200);
    expect(await post.json()).toMatchObject({ body: 'hs from jose' });
    const get = await send(await documentedToken('HS256', kid, 'GET', '/v1/whoami', '').sign(key), 'GET', '/v1/whoami', '');
    expect(get.status).toBe(200);
    expect(await get.json()).toMatchObject({ key_id: kid, mode: 'hmac' });
  });

  it('and a jose token with a wrong claim is still refused (the server checked, not merely parsed)', async () => {
    const { publicKey, privateKey } = await joseKeyPair('Ed25519');
    const raw = new Uint8Array(Buffer.from((await exportJWK(publicKey)).x!, 'base64url'));
    const kid = newKeyId();
    await h.stores.credentials.createConsumerWithKey(
      { id: newConsumerId(), name: 'jose-wrong' },
      { id: kid, consumerId: '', type: 'ed25519', publicKey: raw, thumbprint: await serverThumbprint(raw) },
      h.clock.now(),
    );
    const signedForEcho = await documentedToken('EdDSA', kid, 'POST', '/v1/echo', 'a').sign(privateKey);
    const refused = await send(signedForEcho, 'POST', '/v1/echo', 'b');
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ code: 'binding_mismatch' });
  });
});
