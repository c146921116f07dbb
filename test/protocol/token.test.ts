import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair, type Ed25519KeyPair } from '../../src/client/keys.js';
import { decodeBase64url, encodeBase64url } from '../../src/protocol/base64url.js';
import { SignetError } from '../../src/protocol/errors.js';
import { MAX_TOKEN_LENGTH } from '../../src/protocol/format.js';
import { signRequest } from '../../src/client/sign.js';
import { decodeClaims, parseToken } from '../../src/protocol/token.js';
import { FUZZ_RUNS } from '../helpers/test-env.js';
import { claimsFor, craftToken, ed25519Signer, headerFor, segment } from '../helpers/tokens.js';

const ORIGIN = 'https://api.example.test';
const KID = 'key_AAAAAAAAAAAAAAAAAAAAAA';
const NOW = Date.UTC(2026, 0, 1);

function refusal(token: unknown): SignetError {
  try {
    parseToken(token);
  } catch (error) {
    expect(error).toBeInstanceOf(SignetError);
    return error as SignetError;
  }
  throw new Error(`parseToken accepted ${String(token).slice(0, 80)}`);
}

function claimRefusal(payloadSegment: string): SignetError {
  try {
    decodeClaims(decodeBase64url(payloadSegment));
  } catch (error) {
    expect(error).toBeInstanceOf(SignetError);
    return error as SignetError;
  }
  throw new Error('decodeClaims accepted the payload');
}

describe('parseToken', () => {
  let pair: Ed25519KeyPair;
  let token: string;
  const craft = (header: string | object) => craftToken(header, claimsFor(ORIGIN, NOW), ed25519Signer(pair.privateKey));

  beforeAll(async () => {
    pair = await generateKeyPair();
    token = (await signRequest({ method: 'GET', url: ORIGIN + '/v1/whoami', key: { type: 'ed25519', privateKey: pair.privateKey }, kid: KID, now: NOW })).token;
  });

  it('splits a well-formed token into header, signing input and a 64-byte signature', () => {
    const parsed = parseToken(token);
    expect(parsed.header).toEqual({ alg: 'EdDSA', kid: KID, typ: 'signet+jwt' });
    expect(parsed.signingInput).toBe(token.split('.').slice(0, 2).join('.'));
    expect(parsed.payload).toEqual(decodeBase64url(token.split('.')[1]!));
    expect(parsed.signature).toHaveLength(64);
  });

  it.each([
    ['a number', 42],
    ['undefined', undefined],
    ['an empty string', ''],
  ])('refuses %s', (_, value) => {
    expect(refusal(value).code).toBe('invalid_token');
  });

  it('refuses anything but exactly three non-empty segments', () => {
    const [h, p, s] = token.split('.') as [string, string, string];
    for (const bad of [`${h}.${p}`, `${h}.${p}.${s}.${s}`, `${h}.${p}.`, `.${p}.${s}`, `${h}..${s}`, `${h}.${p}.${s}.`, h]) {
      expect(refusal(bad).code).toBe('invalid_token');
    }
  });

  it('takes a token apart at its dots exactly as split does: any number of dots, segments empty or not', () => {
    const [h, p, s] = token.split('.') as [string, string, string];
    // Pieces of the real token joined by zero to four dots, so the three-segment case also parses.
    const piece = fc.constantFrom(h, p, s, '', 'A');
    fc.assert(
      fc.property(fc.array(piece, { minLength: 1, maxLength: 5 }), (pieces) => {
        const text = pieces.join('.');
        const parts = text.split('.');
        const wellSplit = parts.length === 3 && !parts.includes('');
        let parsed: ReturnType<typeof parseToken> | undefined;
        let reason = '';
        try {
          parsed = parseToken(text);
        } catch (error) {
          expect((error as SignetError).code).toBe('invalid_token');
          reason = (error as SignetError).privateDetail ?? '';
        }
        if (!wellSplit) expect(reason).toMatch(parts.length === 3 ? /empty token segment/ : new RegExp(`token has ${parts.length} segments`));
        else expect(reason).not.toMatch(/segments, not 3|empty token segment/);
        if (parsed !== undefined) expect(parsed.signingInput).toBe(`${parts[0]}.${parts[1]}`);
      }),
      { numRuns: FUZZ_RUNS },
    );
  });

  it(`refuses a token longer than ${MAX_TOKEN_LENGTH} characters before decoding it`, () => {
    const [h, p] = token.split('.') as [string, string];
    const long = `${h}.${p}.${'A'.repeat(MAX_TOKEN_LENGTH + 1 - h.length - p.length - 2)}`;
    expect(long).toHaveLength(MAX_TOKEN_LENGTH + 1);
    expect(refusal(long).privateDetail).toMatch(/longer than 8192/);
    // One character shorter gets past the size cap: whatever happens next, it is not the cap.
    let reason: string | undefined;
    try {
      parseToken(long.slice(0, -1));
    } catch (error) {
      reason = (error as SignetError).privateDetail;
    }
    expect(reason ?? '').not.toMatch(/longer/);
  });

  it.each(['jwk', 'jku', 'x5u', 'x5c', 'x5t', 'crit', 'b64', 'cty', 'zip', 'enc', 'p2s'])('refuses a header carrying %s', async (member) => {
    const header = { ...headerFor(KID), [member]: member === 'b64' ? false : member === 'crit' ? ['b64'] : 'x' };
    const error = refusal(await craft(header));
    expect(error.code).toBe('invalid_token');
    expect(error.privateDetail).toContain(member);
  });

  it('requires typ, and exactly "signet+jwt"', async () => {
    for (const typ of [undefined, 'JWT', 'jwt', 'Signet+JWT', 'signet+jwt ', 'application/signet+jwt', 1, null]) {
      const header = typ === undefined ? { alg: 'EdDSA', kid: KID } : { ...headerFor(KID), typ };
      expect(refusal(await craft(header)).privateDetail, String(typ)).toMatch(/typ/);
    }
  });

  it('requires alg to be a string', async () => {
    for (const alg of [undefined, null, 1, ['EdDSA'], { name: 'EdDSA' }]) {
      const header = alg === undefined ? { kid: KID, typ: 'signet+jwt' } : { ...headerFor(KID), alg };
      expect(refusal(await craft(header)).privateDetail).toMatch(/alg/);
    }
  });

  it('requires kid to be 1 to 128 characters of [A-Za-z0-9_-]', async () => {
    expect(parseToken(await craft(headerFor('a'))).header.kid).toBe('a');
    expect(parseToken(await craft(headerFor('A'.repeat(128)))).header.kid).toHaveLength(128);
    const bad = ['', 'A'.repeat(129), "key_1' OR '1'='1", '../../etc/passwd', 'key\u0000', 'key.1', 'key 1', 'ключ', 'key/1', 'key%00', 7, null];
    for (const kid of bad) {
      expect(refusal(await craft({ alg: 'EdDSA', kid, typ: 'signet+jwt' })).privateDetail, String(kid)).toMatch(/kid/);
    }
  });

  it('refuses a header that is not a JSON object', async () => {
    for (const header of ['[]', '"EdDSA"', 'null', '1']) expect(refusal(await craft(header)).code).toBe('invalid_token');
  });

  it('refuses duplicate header members', async () => {
    const error = refusal(await craft(`{"alg":"EdDSA","kid":"${KID}","typ":"signet+jwt","alg":"none"}`));
    expect(error.privateDetail).toMatch(/duplicate/);
  });

  it('refuses non-canonical base64url in any segment', () => {
    const [h, p, s] = token.split('.') as [string, string, string];
    // The 64-byte signature leaves 4 unused bits in its last character; setting one re-spells it.
    const sigLast = s.at(-1)!;
    const respelt = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.indexOf(sigLast) + 1;
    const badSig = s.slice(0, -1) + 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'[respelt];
    expect(refusal(`${h}.${p}.${badSig}`).privateDetail).toMatch(/base64url/);
    expect(refusal(`${h}=.${p}.${s}`).privateDetail).toMatch(/base64url/);
    expect(refusal(`${h}.${p}=.${s}`).privateDetail).toMatch(/base64url/);
    expect(refusal(`${h}.${p.replace(/_/g, '/').replace(/-/g, '+')}+.${s}`).code).toBe('invalid_token');
  });

  it('refuses a header with a byte-order mark', async () => {
    const bom = encodeBase64url(new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode(JSON.stringify(headerFor(KID)))]));
    const [, p, s] = token.split('.') as [string, string, string];
    expect(refusal(`${bom}.${p}.${s}`).code).toBe('invalid_token');
  });
});

describe('decodeClaims', () => {
  const payload = (claims: object | string) => segment(typeof claims === 'string' ? claims : JSON.stringify(claims));

  it('returns the seven claims of a well-formed payload', () => {
    const claims = claimsFor(ORIGIN, NOW);
    expect(decodeClaims(decodeBase64url(payload(claims)))).toEqual(claims);
  });

  it.each(['method', 'url', 'body_sha256', 'aud', 'iat', 'exp', 'jti'])('refuses a payload without %s and names it', (name) => {
    const claims = claimsFor(ORIGIN, NOW);
    delete claims[name];
    const error = claimRefusal(payload(claims));
    expect(error.code).toBe('invalid_token');
    expect(error.detail).toContain(`"${name}"`);
  });

  it('refuses an unknown claim and names it', () => {
    expect(claimRefusal(payload({ ...claimsFor(ORIGIN, NOW), admin: true })).detail).toContain('"admin"');
  });

  it('refuses times that are not non-negative integers', () => {
    for (const iat of ['1767225600', 1767225600.5, -1, 2 ** 53, null, true]) {
      expect(claimRefusal(payload({ ...claimsFor(ORIGIN, NOW), iat })).detail).toContain('"iat"');
    }
  });

  it('refuses a jti shorter than 22 base64url characters (128 bits) or of other characters', () => {
    for (const jti of ['short', 'A'.repeat(21), 'A'.repeat(129), 'A'.repeat(21) + '=', 'A'.repeat(21) + '/']) {
      expect(claimRefusal(payload({ ...claimsFor(ORIGIN, NOW), jti })).detail).toContain('"jti"');
    }
  });

  it('refuses a payload with duplicate claims or a __proto__ member', () => {
    const base = JSON.stringify(claimsFor(ORIGIN, NOW));
    expect(claimRefusal(payload(base.slice(0, -1) + ',"method":"POST"}')).code).toBe('invalid_token');
    expect(claimRefusal(payload(base.slice(0, -1) + ',"__proto__":{}}')).code).toBe('invalid_token');
    expect(claimRefusal(payload('[]')).code).toBe('invalid_token');
  });
});
