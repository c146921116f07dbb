import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { encodeBase64, encodeBase64url } from '../../src/protocol/base64url.js';
import { SignetError } from '../../src/protocol/errors.js';
import { importEd25519PublicKey, jwkThumbprint, publicKeyToJwk, publicKeyToOpenSsh, publicKeyToPem } from '../../src/protocol/public-key.js';

const fromHex = (hex: string) => Uint8Array.from(Buffer.from(hex, 'hex'));

function nodeEd25519() {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const jwk = publicKey.export({ format: 'jwk' }) as { x: string };
  return {
    raw: Uint8Array.from(Buffer.from(jwk.x, 'base64url')),
    pem: publicKey.export({ format: 'pem', type: 'spki' }) as string,
    privatePem: privateKey.export({ format: 'pem', type: 'pkcs8' }) as string,
    privateJwk: privateKey.export({ format: 'jwk' }) as Record<string, string>,
  };
}

function refusal(input: unknown): SignetError {
  try {
    importEd25519PublicKey(input);
  } catch (error) {
    expect(error).toBeInstanceOf(SignetError);
    expect((error as SignetError).code).toBe('invalid_public_key');
    return error as SignetError;
  }
  throw new Error(`accepted ${JSON.stringify(input)}`);
}

/** The eight small-order points of edwards25519 in canonical encoding (order 1, 2, 4, 4, 8, 8, 8, 8). */
const SMALL_ORDER = {
  identity: '0100000000000000000000000000000000000000000000000000000000000000',
  'order 2': 'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'all-zero (order 4)': '0000000000000000000000000000000000000000000000000000000000000000',
  'order 4, negative x': '0000000000000000000000000000000000000000000000000000000000000080',
  'order 8 (a)': 'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
  'order 8 (b)': 'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa',
  'order 8 (c)': '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  'order 8 (d)': '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85',
};

/** Encodings that are not canonical (y >= p, or x = 0 with the sign bit set) or not on the curve. */
const NOT_CANONICAL = {
  'identity with the sign bit set': '0100000000000000000000000000000000000000000000000000000000000080',
  'y = p + 1': 'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'y = p': 'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'y = p - 1 with the sign bit set': 'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
  'y = 2 (not on the curve)': '0200000000000000000000000000000000000000000000000000000000000000',
};

describe('importEd25519PublicKey accepts', () => {
  const key = nodeEd25519();

  it('a JWK object and a JWK text', () => {
    const jwk = { kty: 'OKP', crv: 'Ed25519', x: encodeBase64url(key.raw) };
    expect(importEd25519PublicKey(jwk)).toEqual(key.raw);
    expect(importEd25519PublicKey(JSON.stringify(jwk, null, 2))).toEqual(key.raw);
  });

  it('a JWK with extra public members (kid, use, alg)', () => {
    expect(importEd25519PublicKey({ kty: 'OKP', crv: 'Ed25519', x: encodeBase64url(key.raw), kid: 'k', use: 'sig', alg: 'EdDSA' })).toEqual(key.raw);
  });

  it('a PEM SubjectPublicKeyInfo as openssl and node print it, also with CRLF line ends and surrounding blank lines', () => {
    expect(importEd25519PublicKey(key.pem)).toEqual(key.raw);
    expect(importEd25519PublicKey('\n' + key.pem.replace(/\n/g, '\r\n') + '\n')).toEqual(key.raw);
  });

  it('an OpenSSH ssh-ed25519 line with or without a comment', () => {
    expect(importEd25519PublicKey(publicKeyToOpenSsh(key.raw))).toEqual(key.raw);
    expect(importEd25519PublicKey(publicKeyToOpenSsh(key.raw, 'alice@laptop') + '\n')).toEqual(key.raw);
  });

  it('what its own exporters write, in every format', () => {
    expect(importEd25519PublicKey(publicKeyToJwk(key.raw))).toEqual(key.raw);
    expect(importEd25519PublicKey(publicKeyToPem(key.raw))).toEqual(key.raw);
    expect(publicKeyToPem(key.raw)).toBe(key.pem);
  });
});

describe('importEd25519PublicKey refuses', () => {
  const key = nodeEd25519();

  it('a PKCS#8 private key PEM, saying it is private-key material', () => {
    expect(refusal(key.privatePem).detail).toMatch(/private/i);
  });

  it('an encrypted private key and an OpenSSH private key', () => {
    refusal('-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----');
    expect(refusal('-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----').detail).toMatch(/private/i);
  });

  it('a JWK carrying the private "d" member, as object or text', () => {
    expect(refusal(key.privateJwk).detail).toMatch(/private/i);
    expect(refusal(JSON.stringify(key.privateJwk)).detail).toMatch(/private/i);
  });

  it('other key types and curves', () => {
    const x25519 = generateKeyPairSync('x25519').publicKey;
    const ed448 = generateKeyPairSync('ed448').publicKey;
    const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey;
    for (const other of [x25519, ed448, p256, rsa]) {
      refusal(other.export({ format: 'pem', type: 'spki' }));
      refusal(other.export({ format: 'jwk' }));
    }
    refusal({ kty: 'OKP', crv: 'Ed448', x: encodeBase64url(key.raw) });
    refusal({ kty: 'EC', crv: 'Ed25519', x: encodeBase64url(key.raw) });
  });

  it('OpenSSH lines of other key types, or with a mislabelled blob', () => {
    refusal('ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQC7 user');
    refusal('ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTY= user');
    const line = publicKeyToOpenSsh(key.raw);
    refusal(line.replace('ssh-ed25519', 'ssh-ed448'));
    const blob = Buffer.from(line.split(' ')[1]!, 'base64');
    refusal('ssh-ed25519 ' + encodeBase64(Uint8Array.from([...blob, 0])));
    refusal('ssh-ed25519 ' + encodeBase64(Uint8Array.from(blob.subarray(0, 40))));
    refusal('ssh-ed25519 ' + encodeBase64(Uint8Array.from([0, 0, 0])));
    refusal('ssh-ed25519');
  });

  it('a JWK whose x is not exactly 32 bytes of canonical base64url', () => {
    const x = encodeBase64url(key.raw);
    for (const bad of [x.slice(0, -1), x + 'A', x + '=', x.replace(/-/g, '+').replace(/_/g, '/') + '+', '', 7]) {
      refusal({ kty: 'OKP', crv: 'Ed25519', x: bad });
    }
    refusal({ kty: 'OKP', crv: 'Ed25519', x: encodeBase64url(new Uint8Array(31).fill(9)) });
    refusal({ kty: 'OKP', crv: 'Ed25519' });
  });

  it('PEM blocks that are not one Ed25519 SubjectPublicKeyInfo', () => {
    refusal(key.pem + key.pem);
    refusal(key.pem.replace('PUBLIC KEY', 'RSA PUBLIC KEY'));
    refusal(key.pem.replace(/\n([A-Za-z0-9+/]{4})/, '\n!$1'));
    refusal(key.pem + 'trailing text');
  });

  it.each(Object.entries(SMALL_ORDER))('the small-order point %s, in every format', (_, hex) => {
    const raw = fromHex(hex);
    expect(refusal(publicKeyToJwk(raw)).detail).toMatch(/small-order/);
    expect(refusal(publicKeyToPem(raw)).detail).toMatch(/small-order/);
    expect(refusal(publicKeyToOpenSsh(raw)).detail).toMatch(/small-order/);
  });

  it.each(Object.entries(NOT_CANONICAL))('the encoding %s', (_, hex) => {
    expect(refusal(publicKeyToJwk(fromHex(hex))).detail).toMatch(/canonical point/);
  });

  it('values that are not keys at all', () => {
    for (const value of [null, undefined, 42, [], '', 'hello', '{not json', '[1,2]', 'null']) refusal(value);
  });
});

describe('jwkThumbprint', () => {
  it('hashes the RFC 7638 canonical JWK (members in lexical order, no spaces)', async () => {
    const raw = nodeEd25519().raw;
    const canonical = `{"crv":"Ed25519","kty":"OKP","x":"${encodeBase64url(raw)}"}`;
    const expected = Buffer.from(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(canonical))).toString('base64url');
    expect(await jwkThumbprint(raw)).toBe(expected);
  });
});
