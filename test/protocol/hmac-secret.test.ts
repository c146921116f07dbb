import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HMAC_SECRET_PREFIX } from '../../src/protocol/secret-formats.js';
import { crc32, HMAC_SECRET_LENGTH, looksLikeHmacSecret, MIN_HMAC_KEY_BYTES, newHmacSecret, parseHmacSecret } from '../../src/protocol/hmac-secret.js';
import { signRequest } from '../../src/client/sign.js';

const RUNS = Number(process.env.SIGNET_FUZZ_RUNS ?? 1000);
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

describe('HMAC secrets', () => {
  it('computes the standard CRC-32 (check value of "123456789" is cbf43926)', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });

  it('are sgnt_hs_, 43 random base62 characters and a 6-character checksum, and parse to their ASCII bytes', () => {
    const secret = newHmacSecret();
    expect(secret).toMatch(/^sgnt_hs_[0-9A-Za-z]{49}$/);
    expect(secret).toHaveLength(HMAC_SECRET_LENGTH);
    const key = parseHmacSecret(secret);
    expect(new TextDecoder().decode(key)).toBe(secret);
    expect(key.length).toBeGreaterThanOrEqual(MIN_HMAC_KEY_BYTES);
    expect(looksLikeHmacSecret(secret)).toBe(true);
  });

  it('are all different (no two of 2000 alike)', () => {
    expect(new Set(Array.from({ length: 2000 }, newHmacSecret)).size).toBe(2000);
  });

  it('refuse any one-character substitution in body or checksum, offline, with a checksum sentence', () => {
    const secret = newHmacSecret();
    fc.assert(
      fc.property(fc.integer({ min: HMAC_SECRET_PREFIX.length, max: HMAC_SECRET_LENGTH - 1 }), fc.constantFrom(...BASE62), (position, replacement) => {
        fc.pre(secret[position] !== replacement);
        const typo = secret.slice(0, position) + replacement + secret.slice(position + 1);
        expect(() => parseHmacSecret(typo)).toThrow(/checksum/);
      }),
      { numRuns: RUNS },
    );
  });

  it('refuse two swapped neighbouring characters', () => {
    const secret = newHmacSecret();
    for (let i = HMAC_SECRET_PREFIX.length; i < HMAC_SECRET_LENGTH - 1; i++) {
      if (secret[i] === secret[i + 1]) continue;
      const swapped = secret.slice(0, i) + secret[i + 1] + secret[i] + secret.slice(i + 2);
      expect(() => parseHmacSecret(swapped)).toThrow(/checksum/);
    }
  });

  it('refuse truncated, padded, foreign and mis-prefixed strings with a sentence saying which', () => {
    const secret = newHmacSecret();
    expect(() => parseHmacSecret(secret.slice(0, -1))).toThrow(/malformed.*truncated/);
    expect(() => parseHmacSecret(secret + 'A')).toThrow(/malformed/);
    expect(() => parseHmacSecret(secret.slice(0, 20))).toThrow(/malformed/);
    expect(() => parseHmacSecret(`${secret.slice(0, 20)}-${secret.slice(21)}`)).toThrow(/malformed/);
    expect(() => parseHmacSecret('ghp_' + secret.slice(8))).toThrow(/must start with "sgnt_hs_"/);
    expect(() => parseHmacSecret('sgnt_HS_' + secret.slice(8))).toThrow(/must start/);
    expect(() => parseHmacSecret(' ' + secret)).toThrow(/must start/);
    try {
      parseHmacSecret(secret.slice(0, -1));
    } catch (error) {
      expect(error).toMatchObject({ code: 'invalid_request' });
    }
  });

  it('are refused by signRequest when shorter than 32 bytes (RFC 7518 section 3.2)', async () => {
    for (const length of [0, 8, 16, 31]) {
      await expect(signRequest({ method: 'GET', url: 'https://h/', key: { type: 'hmac', secret: new Uint8Array(length).fill(1) }, kid: 'key_x' })).rejects.toMatchObject({
        code: 'invalid_request',
        detail: expect.stringContaining('at least 32 bytes'),
      });
    }
    await expect(signRequest({ method: 'GET', url: 'https://h/', key: { type: 'hmac', secret: new Uint8Array(32).fill(1) }, kid: 'key_x' })).resolves.toBeDefined();
  });
});
