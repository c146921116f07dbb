import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeBase64url } from '../../src/protocol/base64url.js';
import { parseStrictJson } from '../../src/protocol/strict-json.js';
import type { ParsedToken } from '../../src/protocol/token.js';
import type { KeyRecord } from '../../src/store/types.js';
import { checkSignature } from '../../src/server/verifier.js';
import { suiteRuns } from '../helpers/optional-suites.js';

const DIR = fileURLToPath(new URL('../../../shared/vectors/', import.meta.url));
const WYCHEPROOF = `${DIR}json_web_signature_test.json`;
const RFC7515 = `${DIR}rfc7515_a1_hs256.json`;
const present = suiteRuns('the HS256 vector tests', existsSync(WYCHEPROOF) && existsSync(RFC7515) ? undefined : `${WYCHEPROOF} or ${RFC7515} is absent`);

/**
 * Wycheproof's labels that a strict verifier must disagree with (research/security-anchors.md §0.5):
 * 367 and 370 are byte-identical to the valid 357 but labelled invalid (C2SP/wycheproof#236), and
 * 372 and 373 contain a literal "?" in a segment but are labelled valid.
 */
const MISLABELLED: Readonly<Record<number, boolean>> = { 367: true, 370: true, 372: false, 373: false };

const hmacKey = { key: { type: 'hmac' } as KeyRecord, keyObject: null };

/**
 * The HMAC path of the verifier at the signature layer: the vectors are generic JWS (no Signet
 * `typ`, `kid` or claims), so the Signet header rules of parseToken are left out, and everything
 * else is the production code: three non-empty segments, strict base64url for each, a strict JSON
 * header object, the algorithm pinned to HS256 for an HMAC key, then checkSignature (HMAC-SHA256,
 * constant-time comparison, 32-byte keys at least).
 */
async function verifiesHs256(jws: string, secret: Uint8Array): Promise<boolean> {
  try {
    const parts = jws.split('.');
    if (parts.length !== 3 || parts.some((part) => part === '')) return false;
    const [headerSegment, payloadSegment, signatureSegment] = parts as [string, string, string];
    const header = parseStrictJson(decodeBase64url(headerSegment)) as { alg?: unknown } | null;
    if (typeof header !== 'object' || header === null || Array.isArray(header) || header.alg !== 'HS256') return false;
    decodeBase64url(payloadSegment);
    const parsed = { signingInput: `${headerSegment}.${payloadSegment}`, signature: decodeBase64url(signatureSegment) } as ParsedToken;
    return await checkSignature(parsed, hmacKey, secret);
  } catch {
    return false;
  }
}

interface Group {
  private?: { kty: string; k?: string };
  key?: { kty: string; k?: string };
  tests: Array<{ tcId: number; comment: string; jws: string; result: 'valid' | 'invalid' }>;
}

describe.skipIf(!present)('HS256 vectors through the HMAC signature path', () => {
  const groups = present ? (JSON.parse(readFileSync(WYCHEPROOF, 'utf8')) as { testGroups: Group[] }).testGroups.filter((g) => (g.private ?? g.key)?.kty === 'oct') : [];
  const cases = groups.flatMap((g) => g.tests.map((t) => ({ ...t, secret: decodeBase64url((g.private ?? g.key)!.k!) })));

  it('covers the 40 HS256 tests of Wycheproof json_web_signature_test.json', () => {
    expect(cases).toHaveLength(40);
    expect(
      Object.keys(MISLABELLED)
        .map(Number)
        .every((id) => cases.some((c) => c.tcId === id)),
    ).toBe(true);
  });

  it.each(cases.map((c) => [c.tcId, c.comment, c.result, c] as const))('tcId %i (%s): labelled %s', async (tcId, _comment, result, c) => {
    const expected = MISLABELLED[tcId] ?? result === 'valid';
    expect(await verifiesHs256(c.jws, c.secret)).toBe(expected);
  });

  it('agrees with the labels on exactly 36 of 40; the four disagreements are the mislabelled 367, 370, 372 and 373', async () => {
    const disagreements: number[] = [];
    for (const c of cases) if ((await verifiesHs256(c.jws, c.secret)) !== (c.result === 'valid')) disagreements.push(c.tcId);
    expect(disagreements.sort((a, b) => a - b)).toEqual([367, 370, 372, 373]);
  });

  it('verifies the RFC 7515 Appendix A.1 HS256 example over its exact CRLF-bearing segments, and refuses it altered', async () => {
    const v = JSON.parse(readFileSync(RFC7515, 'utf8')) as { jwk: { k: string }; compact: string };
    const secret = decodeBase64url(v.jwk.k);
    expect(await verifiesHs256(v.compact, secret)).toBe(true);
    expect(
      await verifiesHs256(
        v.compact.replace(/.$/, (c) => (c === 'k' ? 'l' : 'k')),
        secret,
      ),
    ).toBe(false);
    expect(await verifiesHs256(v.compact, secret.subarray(0, 31))).toBe(false);
  });
});
