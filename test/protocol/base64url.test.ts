import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBase64, decodeBase64url, decodeCheckedBase64urlPortably, encodeBase64, encodeBase64url } from '../../src/protocol/base64url.js';
import { SignetError } from '../../src/protocol/errors.js';
import { FUZZ_RUNS } from '../helpers/test-env.js';

const bytes = (...values: number[]) => new Uint8Array(values);

function refusal(text: string): SignetError | undefined {
  try {
    decodeBase64url(text);
    return undefined;
  } catch (error) {
    return error as SignetError;
  }
}

describe('strict base64url', () => {
  it('encodes the RFC 4648 test vectors in the URL-safe alphabet without padding', () => {
    const cases: Array<[string, string]> = [
      ['', ''],
      ['f', 'Zg'],
      ['fo', 'Zm8'],
      ['foo', 'Zm9v'],
      ['foob', 'Zm9vYg'],
      ['fooba', 'Zm9vYmE'],
      ['foobar', 'Zm9vYmFy'],
    ];
    for (const [plain, encoded] of cases) {
      expect(encodeBase64url(new TextEncoder().encode(plain))).toBe(encoded);
      expect(new TextDecoder().decode(decodeBase64url(encoded))).toBe(plain);
    }
  });

  it('uses - and _ where standard base64 uses + and /', () => {
    expect(encodeBase64url(bytes(0xfb, 0xff, 0xbf))).toBe('-_-_');
    expect(decodeBase64url('-_-_')).toEqual(bytes(0xfb, 0xff, 0xbf));
  });

  it.each([
    ['padding', 'Zg=='],
    ['single padding', 'Zm8='],
    ['a space inside', 'Zm9v Yg'],
    ['a leading space', ' Zm9v'],
    ['a trailing newline', 'Zm9v\n'],
    ['the standard alphabet +', '+/+/'],
    ['the standard alphabet /', 'ab/c'],
    ['a dot', 'Zm9v.'],
    ['a non-ASCII letter', 'Zm9vé'],
    ['a length of 1 mod 4', 'Zm9vY'],
  ])('refuses %s as invalid_token', (_, text) => {
    const error = refusal(text);
    expect(error).toBeInstanceOf(SignetError);
    expect(error?.code).toBe('invalid_token');
  });

  it('refuses a last character whose unused bits are set (each byte string has one spelling)', () => {
    // "Zg" is canonical for 0x66; "Zh".."Zv" decode to the same byte with stray low bits set.
    expect(decodeBase64url('Zg')).toEqual(bytes(0x66));
    for (const last of 'hijklmnopqrstuv') expect(refusal('Z' + last)?.code, `Z${last}`).toBe('invalid_token');
    // Two-byte tail: 2 unused bits. "Zm8" is canonical for "fo"; "Zm9" sets the lowest bit.
    expect(refusal('Zm9')?.code).toBe('invalid_token');
  });

  it('round-trips every byte string and decodes only the canonical spelling', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (data) => {
        const text = encodeBase64url(data);
        expect(text).toMatch(/^[A-Za-z0-9_-]*$/);
        expect(decodeBase64url(text)).toEqual(data);
        expect(encodeBase64url(decodeBase64url(text))).toBe(text);
      }),
      { numRuns: FUZZ_RUNS },
    );
  });

  it('either refuses arbitrary text or decodes it to bytes that re-encode to the same text', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'AZaz09-_+/= .gA\n'.split('')), maxLength: 12 }), (text) => {
        let decoded: Uint8Array;
        try {
          decoded = decodeBase64url(text);
        } catch (error) {
          expect((error as SignetError).code).toBe('invalid_token');
          return;
        }
        expect(encodeBase64url(decoded)).toBe(text);
      }),
      { numRuns: FUZZ_RUNS },
    );
  });
});

describe('standard base64 (PEM and OpenSSH bodies)', () => {
  it('round-trips with padding', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (data) => {
        const text = encodeBase64(data);
        expect(text.length % 4).toBe(0);
        expect(decodeBase64(text)).toEqual(data);
      }),
      { numRuns: FUZZ_RUNS },
    );
  });

  it.each([
    ['missing padding', 'Zg'],
    ['the URL-safe alphabet', '-_-_'],
    ['whitespace', 'Zm9v Yg=='],
    ['padding in the middle', 'Zg==Zg=='],
    ['stray low bits', 'Zh=='],
  ])('returns undefined for %s', (_, text) => {
    expect(decodeBase64(text)).toBeUndefined();
  });
});

describe('the portable decoder browsers use', () => {
  it('decodes every canonical string to the same bytes as the native path', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 96 }), (bytes) => {
        const text = encodeBase64url(bytes);
        expect(decodeCheckedBase64urlPortably(text)).toEqual(decodeBase64url(text));
        expect(Array.from(decodeCheckedBase64urlPortably(text))).toEqual(Array.from(bytes));
      }),
      { numRuns: FUZZ_RUNS },
    );
  });
});
