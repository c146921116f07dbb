/**
 * The language-neutral test vectors of the client kits (test/clients/vectors.json), computed by the
 * TypeScript protocol code: keys in every file format, HMAC secrets, canonical URLs, body hashes,
 * tokens and presigned links. The Python and Go kits reproduce every vector byte for byte; a
 * vitest test regenerates the file in memory and fails when the checked-in copy is stale.
 *
 *   node --import tsx scripts/client-vectors.ts    (rewrites test/clients/vectors.json)
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { exportPrivateKey, exportPublicKey, type Ed25519KeyPair } from '../src/client/keys.js';
import { decodeBase64, encodeBase64, encodeBase64url } from '../src/protocol/base64url.js';
import { hmacSecretFromBody } from '../src/protocol/hmac-secret.js';
import { sha256Base64url } from '../src/protocol/hash.js';
import { signRequest } from '../src/client/sign.js';
import type { SigningKey } from '../src/client/signing-key.js';
import { canonicalizeUrl } from '../src/protocol/target.js';
import { presignUrl } from '../src/client/presign.js';

export const VECTORS_PATH = fileURLToPath(new URL('../test/clients/vectors.json', import.meta.url));

const encoder = new TextEncoder();
const PKCS8_ED25519_PREFIX = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]);

async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', encoder.encode(text)));
}

async function keyFromSeed(seed: Uint8Array): Promise<Ed25519KeyPair> {
  const der = new Uint8Array(PKCS8_ED25519_PREFIX.length + 32);
  der.set(PKCS8_ED25519_PREFIX);
  der.set(seed, PKCS8_ED25519_PREFIX.length);
  const privateKey = await globalThis.crypto.subtle.importKey('pkcs8', der, { name: 'Ed25519' }, true, ['sign']);
  const jwk = await globalThis.crypto.subtle.exportKey('jwk', privateKey);
  return { privateKey, publicKey: Uint8Array.from(Buffer.from(jwk.x!, 'base64url')) };
}

/**
 * The OpenSSH writer draws its two check numbers at random (as ssh-keygen does); a vector must
 * not change from run to run, so they are set to a fixed value here. They sit after the magic,
 * cipher, kdf, kdf options, key count, public blob and section length: byte 98 of the body.
 */
function fixedCheckNumbers(openssh: string): string {
  const lines = openssh.trim().split('\n');
  const body = decodeBase64(lines.slice(1, -1).join(''))!;
  body.set([0x5e, 0x11, 0x9e, 0x70, 0x5e, 0x11, 0x9e, 0x70], 98);
  return `${lines[0]}\n${(encodeBase64(body).match(/.{1,70}/g) ?? []).join('\n')}\n${lines.at(-1)}\n`;
}

async function keyVector(seedText: string, comment: string) {
  const seed = await sha256(seedText);
  const pair = await keyFromSeed(seed);
  return {
    pair,
    vector: {
      seed: `SHA-256 of the ASCII text "${seedText}"`,
      public_raw: encodeBase64url(pair.publicKey),
      private: {
        pem: await exportPrivateKey(pair, 'pem'),
        jwk: await exportPrivateKey(pair, 'jwk'),
        openssh: fixedCheckNumbers(await exportPrivateKey(pair, 'openssh', { comment })),
      },
      public: {
        pem: exportPublicKey(pair.publicKey, 'pem'),
        jwk: exportPublicKey(pair.publicKey, 'jwk'),
        openssh: exportPublicKey(pair.publicKey, 'openssh', comment),
      },
    },
  };
}

/** Inputs of canonicalizeUrl: the awkward cases a kit is most likely to get wrong. */
const URLS = [
  'https://api.example.com/v1/echo?lang=en',
  'HTTPS://API.Example.COM/V1/Echo',
  'https://api.example.com:443/x',
  'http://api.example.com:80/x',
  'http://api.example.com:443/x',
  'https://api.example.com:80/x',
  'https://api.example.com:/x',
  'https://api.example.com:08443/x',
  'https://api.example.com',
  'https://api.example.com?q=1',
  'https://api.example.com/x?',
  'https://api.example.com/a%2fb%c3%A9?x=%e2%82%ac&y=%2F',
  'https://api.example.com/x?y=%zz&z=%4',
  'https://api.example.com/x?a=1&a=2&b=&c&=d',
  'https://api.example.com/x?&&',
  'https://api.example.com/x?a=1&signet_token=abc&b=2',
  'https://api.example.com/a/../b/./c//d',
  'https://api.example.com/café/ünï?q=ß&r=€',
  'https://api.example.com/😀?e=😀',
  'https://api.example.com/q"uote\\back<tag>&amp',
  'https://api.example.com/ctl\u0001\u001f\u007f',
  "https://api.example.com/+;,:=@!$'()*[]",
  'http://[::1]:8080/v1/whoami',
  'http://[2001:DB8::1]/x',
  'https://[::1]:443/',
  'http://[::ffff:127.0.0.1]/x',
  'http://127.0.0.1:3000/v1/whoami',
  'http://LOCALHOST:80',
  'https://api.example.com/x#fragment',
  'https://api.example.com/x?y#',
  'https://user:pw@api.example.com/x',
  'https://@api.example.com/x',
  'ftp://api.example.com/x',
  'api.example.com/x',
  '/v1/whoami',
  '',
  'https:/api.example.com/x',
  'https://api.example.com/a b',
  'https://api.example.com/a\u00a0b',
  'https://api.example.com/a\u000bb',
  'https://api.example.com/a\u2028b',
  'https://api.example.com/a\ufeffb',
  'https://exa mple.com/x',
  'https://api.example.com:8a/x',
  'https://api.example.com:443:443/x',
  'https://[::1/x',
  'https://[::1]x/',
  'https://[fe80::1%25eth0]/x',
  'https:///x',
];

/** Secrets: two valid ones, then one mistyped character, a truncation, a wrong prefix. */
function hmacVectors() {
  const a = hmacSecretFromBody('4rV0c8mQ2bY7LkTz1pXaN5eWdH3uJ6sF9gK0oR2tC8i');
  const b = hmacSecretFromBody('0000000000000000000000000000000000000000000');
  const typo = a.slice(0, 20) + (a[20] === 'x' ? 'y' : 'x') + a.slice(21);
  return [
    { secret: a, valid: true },
    { secret: b, valid: true },
    { secret: typo, valid: false, why: 'checksum' },
    { secret: a.slice(0, 56), valid: false, why: 'length' },
    { secret: 'sgnt_hs_' + a.slice(8).replace(/[0-9]/, '_'), valid: false, why: 'alphabet' },
    { secret: 'ghp_' + a.slice(4), valid: false, why: 'prefix' },
  ];
}

interface TokenCase {
  name: string;
  key: string;
  alg?: 'EdDSA' | 'Ed25519';
  method: string;
  url: string;
  body: Uint8Array;
  iat: number;
  lifetime: number;
  audience?: string;
  jti: string;
}

const binary = Uint8Array.from({ length: 256 }, (_, i) => i);
const KID = 'key_7Qx3mJtZ1pUe9LcWbR4sNa';

function tokenCases(): TokenCase[] {
  const at = 1767225600;
  const base = { kid: KID, iat: at, lifetime: 60, jti: 'k5Jd0n2y8cQwZq3VhT1rLg' };
  return [
    { ...base, name: 'the worked example of docs/protocol.md', key: 'worked_example', method: 'POST', url: 'https://api.example.com/v1/echo?lang=en', body: encoder.encode('{"hello":"world"}') },
    { ...base, name: 'GET without a body', key: 'k1', method: 'GET', url: 'https://api.example.com/v1/whoami', body: new Uint8Array(0) },
    { ...base, name: 'the Ed25519 algorithm name of RFC 9864', key: 'k1', alg: 'Ed25519', method: 'GET', url: 'https://api.example.com/v1/whoami', body: new Uint8Array(0) },
    { ...base, name: 'a lower-case method, a default port and a mixed-case host', key: 'k2', method: 'patch', url: 'HTTPS://API.Example.com:443/v1/items/7?', body: encoder.encode('{"a":1}') },
    { ...base, name: 'a binary body of every byte value', key: 'k1', method: 'PUT', url: 'http://127.0.0.1:3000/v1/blob', body: binary, lifetime: 300 },
    {
      ...base,
      name: 'an IPv6 host with a port, repeated and empty query parameters',
      key: 'k2',
      method: 'DELETE',
      url: 'http://[2001:DB8::1]:8080/v1/x?a=1&a=2&b=&c',
      body: new Uint8Array(0),
      lifetime: 1,
    },
    { ...base, name: 'a non-ASCII path and query, sent raw', key: 'k1', method: 'GET', url: 'https://api.example.com/café/😀?q=ß', body: new Uint8Array(0) },
    { ...base, name: 'lower-case percent-escapes', key: 'k1', method: 'GET', url: 'https://api.example.com/a%2fb%c3%a9?x=%e2%82%ac', body: new Uint8Array(0) },
    {
      ...base,
      name: 'characters JSON must escape, and HTML characters it must not',
      key: 'k2',
      method: 'POST',
      url: 'https://api.example.com/q"uote\\back<tag>&amp/ctl\u0001\u007f',
      body: encoder.encode('<"\\>'),
    },
    { ...base, name: 'a non-default audience', key: 'k1', method: 'GET', url: 'https://api.example.com/v1/whoami', body: new Uint8Array(0), audience: 'urn:signet:test' },
    { ...base, name: 'an HMAC key (HS256)', key: 'hmac', method: 'POST', url: 'https://api.example.com/v1/echo', body: encoder.encode('{"hello":"world"}') },
    { ...base, name: 'an HMAC key over a non-ASCII body', key: 'hmac', method: 'POST', url: 'https://api.example.com/v1/echo', body: encoder.encode('{"grüße":"ça va ✓"}'), iat: at + 12345 },
  ];
}

const BODIES = [new Uint8Array(0), encoder.encode('{"hello":"world"}'), encoder.encode('grüße ✓'), binary, new Uint8Array(1 << 16).fill(0x61)];

export async function buildClientVectors(): Promise<string> {
  const worked = await keyVector('signet worked example', '');
  const k1 = await keyVector('signet kit vector key 1', 'kit-vector-1');
  const k2 = await keyVector('signet kit vector key 2', '');
  const hmac = hmacVectors();
  const hmacSecret = hmac[0]!.secret;
  const keys: Record<string, SigningKey> = {
    worked_example: { type: 'ed25519', privateKey: worked.pair.privateKey },
    k1: { type: 'ed25519', privateKey: k1.pair.privateKey },
    k2: { type: 'ed25519', privateKey: k2.pair.privateKey },
    hmac: { type: 'hmac', secret: encoder.encode(hmacSecret) },
  };
  const canonicalUrls = URLS.map((input) => {
    const canonical = canonicalizeUrl(input);
    return canonical === undefined ? { input, canonical: null } : { input, canonical: canonical.href, origin: canonical.origin, target: canonical.target };
  });
  const bodyHashes = await Promise.all(BODIES.map(async (body) => ({ body_base64url: encodeBase64url(body), sha256: await sha256Base64url(body) })));
  const tokens = [];
  for (const c of tokenCases()) {
    const signed = await signRequest({
      method: c.method,
      url: c.url,
      body: c.body,
      key: keys[c.key]!.type === 'ed25519' && c.alg !== undefined ? { type: 'ed25519', privateKey: (keys[c.key] as { privateKey: CryptoKey }).privateKey, alg: c.alg } : keys[c.key]!,
      kid: KID,
      now: c.iat * 1000,
      lifetimeSeconds: c.lifetime,
      jti: c.jti,
      ...(c.audience !== undefined ? { audience: c.audience } : {}),
    });
    const [header, payload] = signed.token.split('.');
    tokens.push({
      name: c.name,
      key: c.key,
      alg: c.key === 'hmac' ? 'HS256' : (c.alg ?? 'EdDSA'),
      kid: KID,
      method: c.method,
      url: c.url,
      body_base64url: encodeBase64url(c.body),
      iat: c.iat,
      lifetime: c.lifetime,
      audience: c.audience ?? null,
      jti: c.jti,
      header_json: Buffer.from(header!, 'base64url').toString('utf8'),
      claims_json: Buffer.from(payload!, 'base64url').toString('utf8'),
      token: signed.token,
    });
  }
  // A presigned link is the URL as it is sent (non-ASCII percent-encoded), then "&" (or "?") and
  // signet_token=<token signed for it>.
  const presigned = [];
  for (const url of [
    'https://api.example.com/v1/reports/42?format=csv',
    'http://127.0.0.1:3000/v1/whoami',
    'https://api.example.com/files/ü/😀?',
    'http://[::1]:8080/dl?a=&a=%2F&q=ß',
    'https://API.example.com:443/x?y=<a b>"c"',
    'https://api.example.com/r?id=1#top',
  ]) {
    const link = await presignUrl({ url, key: keys.k1!, kid: KID, ttl: 300, now: 1767225600_000, jti: 'presignJti0123456789abc' });
    presigned.push({ key: 'k1', kid: KID, url, iat: 1767225600, ttl: 300, jti: 'presignJti0123456789abc', link: link.url });
  }
  const vectors = {
    about:
      'Test vectors of the Signet client kits, generated by scripts/client-vectors.ts from src/protocol (do not edit: run node --import tsx scripts/client-vectors.ts). Keys are published: never register them anywhere.',
    keys: { worked_example: worked.vector, k1: k1.vector, k2: k2.vector },
    hmac_secrets: hmac,
    canonical_urls: canonicalUrls,
    body_hashes: bodyHashes,
    tokens,
    presigned,
  };
  return JSON.stringify(vectors, null, 2) + '\n';
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(VECTORS_PATH, await buildClientVectors());
  console.log(`wrote ${VECTORS_PATH}`);
}
