import { describe, expect, it } from 'vitest';
import { signRequest } from '../../src/client/sign.js';
import { toSigningKey } from '../../src/client/signing-key.js';
import { SignetError } from '../../src/protocol/errors.js';
import { newHmacSecret, parseHmacSecret } from '../../src/protocol/hmac-secret.js';

describe('toSigningKey', () => {
  it('takes { type: "hmac", secret } with the sgnt_hs_ text the server showed, as docs/client.md writes it', async () => {
    const secret = newHmacSecret();
    expect(toSigningKey({ type: 'hmac', secret })).toEqual({ type: 'hmac', secret: parseHmacSecret(secret) });
    const signed = await signRequest({ method: 'GET', url: 'https://api.example.com/v1/whoami', key: { type: 'hmac', secret }, kid: 'key_x', now: 0 });
    expect(signed.authorization).toMatch(/^Signet ey/);
  });

  it('refuses a mistyped secret text with a sentence (invalid_request), not a TypeError', () => {
    const secret = newHmacSecret();
    const broken = secret.slice(0, -1) + (secret.endsWith('A') ? 'B' : 'A');
    expect(() => toSigningKey({ type: 'hmac', secret: broken })).toThrow(SignetError);
    expect(() => toSigningKey({ type: 'hmac', secret: 42 } as never)).toThrow(/sgnt_hs_/);
  });
});
