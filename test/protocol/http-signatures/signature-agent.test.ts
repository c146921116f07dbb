import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SignetError } from '../../../src/protocol/errors.js';
import { MAX_SIGNATURE_AGENT_LENGTH, signatureAgentUrl } from '../../../src/protocol/http-signatures/signature-agent.js';
import { parseHttpSignature } from '../../../src/protocol/http-signatures/signature-input.js';
import { invalidTokenReason } from '../../helpers/invalid-token-reason.js';
import { FUZZ_RUNS } from '../../helpers/test-env.js';

const SIG = 'sig1=:' + Buffer.alloc(64, 1).toString('base64') + ':';

/** What a signature covering these components says about Signature-Agent. */
const covering = (components: string) => parseHttpSignature(`sig1=(${components});keyid="k"`, SIG);
const KEYED = covering('"@authority" "signature-agent";key="agent1"');
const WHOLE = covering('"@authority" "signature-agent"');
const NONE = covering('"@authority"');

describe('signatureAgentUrl', () => {
  it('reads the member the signature names from a dictionary, leaving other members alone', () => {
    expect(signatureAgentUrl('agent1="https://agent.example"', KEYED)).toBe('https://agent.example');
    expect(signatureAgentUrl('other="https://someone.example", agent1="https://agent.example";type=directory', KEYED)).toBe('https://agent.example');
  });

  it('reads the whole field as one string when the signature covers it whole (earlier drafts)', () => {
    expect(signatureAgentUrl('"https://agent.example"', WHOLE)).toBe('https://agent.example');
  });

  it('refuses a form other than the one the signature covers', () => {
    expect(invalidTokenReason(() => signatureAgentUrl('agent1="https://agent.example"', WHOLE))).toMatch(/not a structured string/);
    expect(invalidTokenReason(() => signatureAgentUrl('"https://agent.example"', KEYED))).toMatch(/structured dictionary/);
  });

  it('refuses a dictionary without the named member, a member that is not a string, and discovery types other than directory', () => {
    expect(invalidTokenReason(() => signatureAgentUrl('agent2="https://agent.example"', KEYED))).toMatch(/no member agent1/);
    expect(invalidTokenReason(() => signatureAgentUrl('agent1=:aGVsbG8=:', KEYED))).toMatch(/not a string/);
    expect(invalidTokenReason(() => signatureAgentUrl('agent1=("https://a.example" "https://b.example")', KEYED))).toMatch(/not a string/);
    expect(invalidTokenReason(() => signatureAgentUrl('agent1', KEYED))).toMatch(/not a string/);
    expect(invalidTokenReason(() => signatureAgentUrl('agent1="https://agent.example";type=jwks_uri', KEYED))).toMatch(/parameter type/);
    expect(invalidTokenReason(() => signatureAgentUrl('agent1="https://agent.example";type="directory"', KEYED))).toMatch(/parameter type/);
    expect(invalidTokenReason(() => signatureAgentUrl('agent1="https://agent.example";x=1', KEYED))).toMatch(/parameter x/);
  });

  it('refuses the named member twice (across field lines too), and an oversized field before parsing it', () => {
    expect(invalidTokenReason(() => signatureAgentUrl('agent1="https://a.example", agent1="https://b.example"', KEYED))).toMatch(/repeats/);
    const long = `agent1="https://agent.example", pad="${'x'.repeat(MAX_SIGNATURE_AGENT_LENGTH)}"`;
    expect(invalidTokenReason(() => signatureAgentUrl(long, KEYED))).toMatch(/longer/);
  });

  it('reads an uncovered field as a string or a one-member dictionary (for a precise refusal later), never picks among several', () => {
    expect(signatureAgentUrl('"https://agent.example"', NONE)).toBe('https://agent.example');
    expect(signatureAgentUrl('agent9="https://agent.example"', NONE)).toBe('https://agent.example');
    expect(invalidTokenReason(() => signatureAgentUrl('a="https://a.example", b="https://b.example"', NONE))).toMatch(/several/);
  });

  it('fails on any field, in any form, with invalid_token only, never another error', () => {
    const field = fc.oneof(
      fc.string({ maxLength: 120 }),
      fc
        .tuple(fc.constantFrom('agent1', 'other', 'a*b', 'x'), fc.constantFrom('"https://a.example"', '1', '?0', ':AA==:', '("a")', '"x";type=directory', '"y";type=cimd'))
        .map(([k, v]) => `${k}=${v}`),
      fc.array(fc.constantFrom('agent1="https://a.example"', 'b="https://b.example"', '"https://c.example"', 'agent1'), { maxLength: 3 }).map((parts) => parts.join(', ')),
    );
    fc.assert(
      fc.property(field, fc.constantFrom(KEYED, WHOLE, NONE), (value, parsed) => {
        try {
          return typeof signatureAgentUrl(value, parsed) === 'string';
        } catch (error) {
          return error instanceof SignetError && error.code === 'invalid_token';
        }
      }),
      { numRuns: FUZZ_RUNS },
    );
  });
});
