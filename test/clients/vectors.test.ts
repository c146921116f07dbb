import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { importPrivateKey } from '../../src/client/keys.js';
import { presignUrl } from '../../src/client/presign.js';
import { signRequest } from '../../src/client/sign.js';
import { decodeBase64url } from '../../src/protocol/base64url.js';
import { parseHmacSecret } from '../../src/protocol/hmac-secret.js';
import { sha256Base64url } from '../../src/protocol/hash.js';
import { canonicalizeUrl } from '../../src/protocol/target.js';
import { buildClientVectors, VECTORS_PATH } from '../../scripts/client-vectors.js';

interface Vectors {
  keys: Record<string, { private: Record<'pem' | 'jwk' | 'openssh', string> }>;
  hmac_secrets: { secret: string; valid: boolean }[];
  canonical_urls: { input: string; canonical: string | null }[];
  body_hashes: { body_base64url: string; sha256: string }[];
  presigned: { key: string; kid: string; url: string; iat: number; ttl: number; jti: string; link: string }[];
  tokens: { key: string; alg: string; kid: string; method: string; url: string; body_base64url: string; iat: number; lifetime: number; audience: string | null; jti: string; token: string }[];
}

const checkedIn = readFileSync(VECTORS_PATH, 'utf8');
const vectors = JSON.parse(checkedIn) as Vectors;

describe("the client kits' vector file", () => {
  it('is what the TypeScript protocol code generates today (rerun scripts/client-vectors.ts when this fails)', async () => {
    expect(await buildClientVectors()).toBe(checkedIn);
  });

  it('covers awkward URLs: IPv6 hosts, default ports, repeated and empty parameters, non-ASCII paths, refusals', () => {
    const inputs = vectors.canonical_urls.map((v) => v.input);
    expect(inputs.some((u) => u.includes('[::1]'))).toBe(true);
    expect(inputs.some((u) => u.includes(':443/'))).toBe(true);
    expect(inputs.some((u) => u.includes('a=1&a=2&b=&c'))).toBe(true);
    expect(inputs.some((u) => /[^\x00-\x7f]/.test(u))).toBe(true);
    expect(vectors.canonical_urls.filter((v) => v.canonical === null).length).toBeGreaterThan(10);
  });
});

describe('the TypeScript kit reproduces every vector', () => {
  it('canonicalises every URL as the vectors say', () => {
    for (const v of vectors.canonical_urls) expect(canonicalizeUrl(v.input)?.href ?? null, v.input).toBe(v.canonical);
  });

  it('hashes every body as the vectors say', async () => {
    for (const v of vectors.body_hashes) expect(await sha256Base64url(decodeBase64url(v.body_base64url))).toBe(v.sha256);
  });

  it('accepts exactly the valid HMAC secrets', () => {
    for (const v of vectors.hmac_secrets) {
      if (v.valid) expect(parseHmacSecret(v.secret), v.secret).toEqual(new TextEncoder().encode(v.secret));
      else expect(() => parseHmacSecret(v.secret), v.secret).toThrow(/HMAC secret/);
    }
  });

  it('signs every token byte for byte from each private key file format', async () => {
    const hmacSecret = vectors.hmac_secrets[0]!.secret;
    for (const v of vectors.tokens) {
      const formats = v.key === 'hmac' ? ['hmac'] : (['pem', 'jwk', 'openssh'] as const);
      for (const format of formats) {
        const key = format === 'hmac' ? hmacSecret : await importPrivateKey(vectors.keys[v.key]!.private[format as 'pem']);
        const signed = await signRequest({
          method: v.method,
          url: v.url,
          body: decodeBase64url(v.body_base64url),
          key: typeof key === 'string' || v.alg !== 'Ed25519' ? key : { type: 'ed25519', privateKey: key.privateKey, alg: 'Ed25519' },
          kid: v.kid,
          now: v.iat * 1000,
          lifetimeSeconds: v.lifetime,
          jti: v.jti,
          ...(v.audience !== null ? { audience: v.audience } : {}),
        });
        expect(signed.token, `${v.url} (${format})`).toBe(v.token);
      }
    }
  });

  it('makes every presigned link byte for byte', async () => {
    for (const v of vectors.presigned) {
      const pair = await importPrivateKey(vectors.keys[v.key]!.private.pem);
      const link = await presignUrl({ url: v.url, key: pair, kid: v.kid, ttl: v.ttl, now: v.iat * 1000, jti: v.jti });
      expect(link.url, v.url).toBe(v.link);
    }
  });
});
