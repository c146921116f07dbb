import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SignetError } from '../../../src/protocol/errors.js';
import { contentDigestFor, contentDigestSha256, parseHttpSignature, httpSignatureToSign, signatureBase, MAX_SIGNATURE_FIELD_LENGTH } from '../../../src/protocol/http-signatures/index.js';
import { invalidTokenReason } from '../../helpers/invalid-token-reason.js';
import { FUZZ_RUNS } from '../../helpers/test-env.js';

const SIG = 'sig1=:' + Buffer.alloc(64, 1).toString('base64') + ':';
const INPUT = 'sig1=("@method" "@target-uri");created=1700000000;expires=1700000060;nonce="n";keyid="key_a"';

describe('parseHttpSignature', () => {
  it('reads the one signature, its components and parameters, and re-serialises the parameters exactly', () => {
    const parsed = parseHttpSignature(INPUT, SIG);
    expect(parsed.label).toBe('sig1');
    expect(parsed.components).toEqual(['@method', '@target-uri']);
    expect(parsed.params).toEqual({ created: 1700000000, expires: 1700000060, nonce: 'n', keyid: 'key_a' });
    expect(parsed.signatureParams).toBe(INPUT.slice('sig1='.length));
    expect(parsed.signature).toEqual(new Uint8Array(64).fill(1));
  });

  it('refuses two labels unless one is configured, and then verifies only that one', () => {
    const two = `${INPUT}, sig2=("@method");keyid="key_b"`;
    const sigs = `${SIG}, sig2=:AAAA:`;
    expect(invalidTokenReason(() => parseHttpSignature(two, sigs))).toMatch(/ambiguous/);
    expect(parseHttpSignature(two, sigs, 'sig2').params.keyid).toBe('key_b');
    expect(invalidTokenReason(() => parseHttpSignature(INPUT, SIG, 'other'))).toMatch(/absent/);
  });

  it('refuses a repeated label, a repeated parameter and a component covered twice', () => {
    expect(invalidTokenReason(() => parseHttpSignature(`${INPUT}, ${INPUT}`, SIG))).toMatch(/repeats/);
    expect(invalidTokenReason(() => parseHttpSignature(`${INPUT};created=1`, SIG))).toMatch(/repeats/);
    expect(invalidTokenReason(() => parseHttpSignature(INPUT, `${SIG}, ${SIG}`))).toMatch(/repeats/);
    expect(invalidTokenReason(() => parseHttpSignature('sig1=("@method" "@method");keyid="k"', SIG))).toMatch(/covered twice/);
  });

  it('refuses labels that differ between the two fields, and members of the wrong shape', () => {
    expect(invalidTokenReason(() => parseHttpSignature(INPUT, SIG.replace('sig1', 'sig2')))).toMatch(/differ/);
    expect(invalidTokenReason(() => parseHttpSignature('sig1="x"', SIG))).toMatch(/inner list/);
    expect(invalidTokenReason(() => parseHttpSignature(INPUT, 'sig1="x"'))).toMatch(/byte sequence/);
  });

  it('refuses unknown parameters, wrongly typed ones, a missing keyid and component parameters', () => {
    expect(invalidTokenReason(() => parseHttpSignature(`${INPUT};foo=1`, SIG))).toMatch(/not allowed/);
    expect(invalidTokenReason(() => parseHttpSignature(INPUT.replace('created=1700000000', 'created="1"'), SIG))).toMatch(/integer/);
    expect(invalidTokenReason(() => parseHttpSignature(INPUT.replace('created=1700000000', 'created=-1'), SIG))).toMatch(/integer/);
    expect(invalidTokenReason(() => parseHttpSignature(INPUT.replace('nonce="n"', 'nonce=1'), SIG))).toMatch(/string/);
    expect(invalidTokenReason(() => parseHttpSignature(INPUT.replace(';keyid="key_a"', ''), SIG))).toMatch(/keyid/);
    expect(invalidTokenReason(() => parseHttpSignature('sig1=("content-digest";sf);keyid="k"', SIG))).toMatch(/parameters/);
    expect(invalidTokenReason(() => parseHttpSignature('sig1=("@signature-params");keyid="k"', SIG))).toMatch(/not supported/);
    expect(invalidTokenReason(() => parseHttpSignature('sig1=("Content-Type");keyid="k"', SIG))).toMatch(/not supported/);
  });

  it('reads a field covered as one dictionary member (key parameter) on signature-agent only, each field once', () => {
    const agent = parseHttpSignature('sig2=("@authority" "signature-agent";key="agent2");keyid="k"', SIG.replace('sig1', 'sig2'));
    expect(agent.components).toEqual(['@authority', 'signature-agent']);
    expect([...agent.dictionaryKeys]).toEqual([['signature-agent', 'agent2']]);
    expect(parseHttpSignature(INPUT, SIG).dictionaryKeys.size).toBe(0);
    expect(invalidTokenReason(() => parseHttpSignature('sig1=("content-digest";key="sha-256");keyid="k"', SIG))).toMatch(/parameters/);
    expect(invalidTokenReason(() => parseHttpSignature('sig1=("signature-agent";key="a";sf);keyid="k"', SIG))).toMatch(/parameters/);
    expect(invalidTokenReason(() => parseHttpSignature('sig1=("signature-agent";key=a);keyid="k"', SIG))).toMatch(/malformed key/);
    expect(invalidTokenReason(() => parseHttpSignature('sig1=("signature-agent";key="A b");keyid="k"', SIG))).toMatch(/malformed key/);
    // Both forms of one field, or two members of it: which did the signer mean?
    expect(invalidTokenReason(() => parseHttpSignature('sig1=("signature-agent" "signature-agent";key="a");keyid="k"', SIG))).toMatch(/covered twice/);
    expect(invalidTokenReason(() => parseHttpSignature('sig1=("signature-agent";key="a" "signature-agent";key="b");keyid="k"', SIG))).toMatch(/covered twice/);
  });

  it('refuses oversized and malformed fields before parsing them', () => {
    expect(invalidTokenReason(() => parseHttpSignature(INPUT + ' '.repeat(MAX_SIGNATURE_FIELD_LENGTH), SIG))).toMatch(/longer/);
    expect(invalidTokenReason(() => parseHttpSignature('sig1=("@method"', SIG))).toMatch(/structured/);
    expect(invalidTokenReason(() => parseHttpSignature(INPUT, 'sig1=:not base64!:'))).toMatch(/structured/);
    const many = `sig1=(${Array.from({ length: 33 }, (_, i) => `"x-${i}"`).join(' ')});keyid="k"`;
    expect(invalidTokenReason(() => parseHttpSignature(many, SIG))).toMatch(/more than/);
  });

  it('fails on any input with invalid_token only, never another error', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), fc.string({ maxLength: 200 }), (input, signature) => {
        try {
          parseHttpSignature(input, signature);
        } catch (error) {
          return error instanceof SignetError && error.code === 'invalid_token';
        }
        return true;
      }),
      { numRuns: FUZZ_RUNS },
    );
  });

  it('reads back the Signature-Input httpSignatureToSign wrote, for any nonce, label and lifetime', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.stringMatching(/^[A-Za-z0-9_-]{22,40}$/),
        fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/),
        fc.integer({ min: 1, max: 300 }),
        fc.uint8Array({ maxLength: 64 }),
        async (nonce, label, lifetime, body) => {
          const toSign = await httpSignatureToSign({
            method: 'post',
            url: 'https://api.example/x?a=1',
            body,
            keyType: 'hmac',
            kid: 'key_k',
            nonce,
            label,
            lifetimeSeconds: lifetime,
            now: 1_700_000_000_000,
          });
          const parsed = parseHttpSignature(toSign.headers['signature-input']!, `${label}=:${Buffer.alloc(32, 7).toString('base64')}:`);
          expect(parsed.label).toBe(label);
          expect(parsed.params).toEqual({ created: 1_700_000_000, expires: 1_700_000_000 + lifetime, nonce, keyid: 'key_k', alg: 'hmac-sha256' });
          expect(parsed.components).toEqual(body.length > 0 ? ['@method', '@target-uri', 'content-digest'] : ['@method', '@target-uri']);
        },
      ),
      { numRuns: Math.min(FUZZ_RUNS, 200) },
    );
  });
});

describe('signatureBase', () => {
  const message = { method: 'GET', targetUri: 'HTTPS://Api.Example:443/a%2fb?x=1', header: (name: string) => (name === 'x-a' ? '  v  ' : undefined) };

  it('derives every component from the canonical target URI and trims field values', () => {
    const base = signatureBase(['@method', '@target-uri', '@scheme', '@authority', '@path', '@query', '@request-target', 'x-a'], '()', message);
    expect(base.split('\n')).toEqual([
      '"@method": GET',
      '"@target-uri": https://api.example/a%2Fb?x=1',
      '"@scheme": https',
      '"@authority": api.example',
      '"@path": /a%2Fb',
      '"@query": ?x=1',
      '"@request-target": /a%2Fb?x=1',
      '"x-a": v',
      '"@signature-params": ()',
    ]);
  });

  it('gives @query as "?" alone when there is no query', () => {
    expect(signatureBase(['@query'], '()', { ...message, targetUri: 'https://a.example/' })).toBe('"@query": ?\n"@signature-params": ()');
  });

  it('refuses a covered field the request lacks', () => {
    expect(invalidTokenReason(() => signatureBase(['x-missing'], '()', message))).toMatch(/absent/);
  });

  it('gives a dictionary member as RFC 9421 section 2.1.2 does: the keyed identifier, the member re-serialised with its parameters', () => {
    const keys = new Map([['signature-agent', 'b']]);
    const agent = (value: string) => ({ ...message, header: (name: string) => (name === 'signature-agent' ? value : undefined) });
    expect(signatureBase(['signature-agent'], '()', agent('a="https://one.example",  b="https://two.example";type=directory'), keys)).toBe(
      '"signature-agent";key="b": "https://two.example";type=directory\n"@signature-params": ()',
    );
    expect(invalidTokenReason(() => signatureBase(['signature-agent'], '()', agent('a="https://one.example"'), keys))).toMatch(/no member b/);
    expect(invalidTokenReason(() => signatureBase(['signature-agent'], '()', agent('b="x", b="y"'), keys))).toMatch(/repeats/);
    expect(invalidTokenReason(() => signatureBase(['signature-agent'], '()', agent('"https://one.example"'), keys))).toMatch(/structured dictionary/);
  });
});

describe('Content-Digest', () => {
  it('formats the RFC 9530 sha-256 of the body and reads it back', async () => {
    const value = await contentDigestFor(new TextEncoder().encode('{"hello": "world"}'));
    // RFC 9530 section 2 example.
    expect(value).toBe('sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:');
    expect(Buffer.from(contentDigestSha256(`sha-512=:AAAA:, ${value}`)!).toString('base64')).toBe('X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=');
  });

  it('has no sha-256 digest when only other algorithms are given, and refuses a malformed or repeated field', () => {
    expect(contentDigestSha256('sha-512=:AAAA:')).toBeUndefined();
    expect(invalidTokenReason(() => contentDigestSha256('sha-256=:AAAA:, sha-256=:BBBB:'))).toMatch(/repeats/);
    expect(invalidTokenReason(() => contentDigestSha256('sha-256=:AAAA'))).toMatch(/structured/);
    expect(contentDigestSha256('sha-256=AAAA')).toBeUndefined();
  });
});
