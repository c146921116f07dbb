import { describe, expect, it } from 'vitest';
import { ERROR_CODES, SignetError, invalidToken, isErrorCode } from '../../src/protocol/errors.js';
import { JTI_PATTERN } from '../../src/protocol/format.js';
import { newConsumerId, newJti, newKeyId, randomBase62 } from '../../src/protocol/ids.js';

describe('error codes', () => {
  it('give every code a 4xx or 5xx status and a sentence for a title', () => {
    for (const [code, { status, title }] of Object.entries(ERROR_CODES)) {
      expect(status, code).toBeGreaterThanOrEqual(400);
      expect(status, code).toBeLessThan(600);
      expect(title, code).toMatch(/^[A-Z].*\.$/);
      expect(isErrorCode(code)).toBe(true);
    }
    expect(isErrorCode('toString')).toBe(false);
    expect(isErrorCode('__proto__')).toBe(false);
  });

  it('keep the private detail out of the public detail and message', () => {
    const error = new SignetError('binding_mismatch', { detail: 'public sentence', privateDetail: 'secret reason', extra: { a: 1 } });
    expect(error).toMatchObject({ code: 'binding_mismatch', status: 401, detail: 'public sentence', message: 'public sentence', extra: { a: 1 } });
    const pre = invalidToken('kid unknown');
    expect(pre.detail).toBe(ERROR_CODES.invalid_token.title);
    expect(pre.message).not.toContain('kid');
    expect(pre.privateDetail).toBe('kid unknown');
  });
});

describe('identifiers', () => {
  it('make key and consumer ids of a prefix and 22 base62 characters', () => {
    expect(newKeyId()).toMatch(/^key_[0-9A-Za-z]{22}$/);
    expect(newConsumerId()).toMatch(/^con_[0-9A-Za-z]{22}$/);
    expect(randomBase62(100)).toMatch(/^[0-9A-Za-z]{100}$/);
  });

  it('make a jti of 16 random bytes that the claim pattern accepts', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const jti = newJti();
      expect(jti).toMatch(JTI_PATTERN);
      expect(Buffer.from(jti, 'base64url')).toHaveLength(16);
      seen.add(jti);
    }
    expect(seen.size).toBe(200);
  });

  it('use every base62 character', () => {
    expect(new Set(randomBase62(5000)).size).toBe(62);
  });
});
