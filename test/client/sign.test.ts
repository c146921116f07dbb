import { createHash, createHmac, createPublicKey, verify } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair, type Ed25519KeyPair } from '../../src/client/keys.js';
import { encodeBase64url } from '../../src/protocol/base64url.js';
import { SignetError } from '../../src/protocol/errors.js';
import { EMPTY_BODY_SHA256, MAX_TOKEN_LIFETIME_SECONDS } from '../../src/protocol/format.js';
import { sha256Base64url } from '../../src/protocol/hash.js';
import { signRequest } from '../../src/client/sign.js';
import { decodeClaims, parseToken } from '../../src/protocol/token.js';

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0, 750);
const KID = 'key_AAAAAAAAAAAAAAAAAAAAAA';

describe('signRequest', () => {
  let pair: Ed25519KeyPair;
  beforeAll(async () => {
    pair = await generateKeyPair();
  });
  const key = () => ({ type: 'ed25519' as const, privateKey: pair.privateKey });

  it('makes a token that parses strictly and whose signature verifies with the public key', async () => {
    const signed = await signRequest({ method: 'post', url: 'https://API.example.com:443/v1/echo?a=%2f', body: '{"x":1}', key: key(), kid: KID, now: NOW });
    expect(signed.authorization).toBe(`Signet ${signed.token}`);
    const parsed = parseToken(signed.token);
    expect(parsed.header).toEqual({ alg: 'EdDSA', kid: KID, typ: 'signet+jwt' });
    const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: encodeBase64url(pair.publicKey) }, format: 'jwk' });
    expect(verify(null, Buffer.from(parsed.signingInput), publicKey, parsed.signature)).toBe(true);
    expect(decodeClaims(parsed.payload)).toEqual(signed.claims);
  });

  it('binds the upper-case method, the canonical URL, the body hash, the origin as audience and whole seconds', async () => {
    const { claims } = await signRequest({ method: 'post', url: 'https://API.example.com:443/v1/echo?a=%2f', body: '{"x":1}', key: key(), kid: KID, now: NOW });
    expect(claims.method).toBe('POST');
    expect(claims.url).toBe('https://api.example.com/v1/echo?a=%2F');
    expect(claims.body_sha256).toBe(createHash('sha256').update('{"x":1}').digest('base64url'));
    expect(claims.aud).toBe('https://api.example.com');
    expect(claims.iat).toBe(Math.floor(NOW / 1000));
    expect(claims.exp).toBe(claims.iat + 60);
    expect(claims.jti).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('hashes the empty body when there is none, and exact bytes when given bytes', async () => {
    const none = await signRequest({ method: 'GET', url: 'https://h/', key: key(), kid: KID, now: NOW });
    expect(none.claims.body_sha256).toBe(EMPTY_BODY_SHA256);
    expect(await sha256Base64url(new Uint8Array(0))).toBe(EMPTY_BODY_SHA256);
    const bytes = new Uint8Array([0xff, 0x00, 0xfe]);
    const binary = await signRequest({ method: 'POST', url: 'https://h/', body: bytes, key: key(), kid: KID, now: NOW });
    expect(binary.claims.body_sha256).toBe(createHash('sha256').update(bytes).digest('base64url'));
  });

  it('draws a fresh jti for every token', async () => {
    const jtis = new Set<string>();
    for (let i = 0; i < 50; i++) jtis.add((await signRequest({ method: 'GET', url: 'https://h/', key: key(), kid: KID, now: NOW })).claims.jti);
    expect(jtis.size).toBe(50);
  });

  it('takes the audience, lifetime and jti it is given', async () => {
    const { claims } = await signRequest({
      method: 'GET',
      url: 'https://h/',
      key: key(),
      kid: KID,
      now: NOW,
      audience: 'urn:x',
      lifetimeSeconds: MAX_TOKEN_LIFETIME_SECONDS,
      jti: 'J'.repeat(22),
    });
    expect(claims).toMatchObject({ aud: 'urn:x', exp: claims.iat + MAX_TOKEN_LIFETIME_SECONDS, jti: 'J'.repeat(22) });
  });

  it('writes alg Ed25519 (RFC 9864) when asked', async () => {
    const { token } = await signRequest({ method: 'GET', url: 'https://h/', key: { ...key(), alg: 'Ed25519' }, kid: KID, now: NOW });
    expect(parseToken(token).header.alg).toBe('Ed25519');
  });

  it('signs HS256 with an HMAC secret', async () => {
    const secret = new Uint8Array(32).fill(7);
    const { token } = await signRequest({ method: 'GET', url: 'https://h/', key: { type: 'hmac', secret }, kid: KID, now: NOW });
    const parsed = parseToken(token);
    expect(parsed.header.alg).toBe('HS256');
    expect(Buffer.from(parsed.signature)).toEqual(createHmac('sha256', secret).update(parsed.signingInput).digest());
  });

  it.each([0, -1, 1.5, MAX_TOKEN_LIFETIME_SECONDS + 1])('refuses a lifetime of %s seconds', async (lifetimeSeconds) => {
    await expect(signRequest({ method: 'GET', url: 'https://h/', key: key(), kid: KID, lifetimeSeconds })).rejects.toMatchObject({ code: 'invalid_request' });
  });

  it.each(['/relative', 'https://h/x#fragment', 'ftp://h/', 'https://user:pw@h/'])('refuses to sign for %s', async (url) => {
    const error = await signRequest({ method: 'GET', url, key: key(), kid: KID }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SignetError);
    expect(error).toMatchObject({ code: 'invalid_request' });
  });
});
