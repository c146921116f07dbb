import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { generateKeyPair, type Ed25519KeyPair } from '../../src/client/keys.js';
import { loadConfig } from '../../src/config.js';
import { encodeBase64url } from '../../src/protocol/base64url.js';
import { SignetError } from '../../src/protocol/errors.js';
import { newConsumerId, newKeyId } from '../../src/protocol/ids.js';
import { signRequest } from '../../src/client/sign.js';
import { canonicalizeUrl } from '../../src/protocol/target.js';
import { KeyCache } from '../../src/server/key-cache.js';
import { createVerifier, type IncomingRequest, type Verifier } from '../../src/server/verifier.js';
import { createStores, type Stores } from '../../src/store/factory.js';
import { startHarness, T0, type Harness } from '../helpers/harness.js';
import { FUZZ_RUNS, FUZZ_TIMEOUT_MS } from '../helpers/test-env.js';
import { segment } from '../helpers/tokens.js';

const ORIGIN = 'https://api.example.test';
const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Resolves to the refusal, or fails the property if the verifier accepted or threw a non-Signet error. */
async function refusal(verify: Verifier, request: IncomingRequest): Promise<SignetError> {
  let outcome: unknown;
  try {
    await verify(request);
    outcome = 'accepted';
  } catch (error) {
    outcome = error;
  }
  if (!(outcome instanceof SignetError)) throw new Error(`expected a SignetError, got ${String(outcome)}`);
  if (outcome.status >= 500) throw new Error(`a ${outcome.status} (${outcome.code}) for bad input`);
  return outcome;
}

const b64Segment = fc.string({ unit: fc.constantFrom(...BASE64URL.split('')), maxLength: 120 });
const jsonSegment = fc.jsonValue({ maxDepth: 3 }).map((value) => segment(JSON.stringify(value) ?? 'null'));

describe('verifier properties', () => {
  const clock = new ManualClock(T0);
  const config = loadConfig({ db: ':memory:', publicOrigin: ORIGIN, logLevel: 'silent' }, {});
  let stores: Stores;
  let verify: Verifier;
  let pair: Ed25519KeyPair;
  let kid: string;

  beforeAll(async () => {
    stores = await createStores(config, clock);
    const keys = new KeyCache({ store: stores.credentials, clock, size: 1000, ttlMs: 3_600_000, negativeTtlMs: 3_600_000 });
    verify = createVerifier({ config, keys, replay: stores.replay, clock });
    pair = await generateKeyPair();
    kid = newKeyId();
    await stores.credentials.createConsumerWithKey({ id: newConsumerId(), name: 'p' }, { id: kid, consumerId: '', type: 'ed25519', publicKey: pair.publicKey, thumbprint: null }, T0);
  });
  afterAll(async () => stores.close());

  const sign = (input: { method: string; url: string; body?: Uint8Array }) => signRequest({ ...input, key: { type: 'ed25519', privateKey: pair.privateKey }, kid, now: clock.now() });

  it('never accepts random Authorization values and never fails with a 5xx', async () => {
    const realHeader = () => fc.constantFrom(segment(JSON.stringify({ alg: 'EdDSA', kid, typ: 'signet+jwt' })), segment(JSON.stringify({ alg: 'Ed25519', kid, typ: 'signet+jwt' })));
    const authorization = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.string({ maxLength: 200 }).map((s) => `Signet ${s}`),
      fc.tuple(b64Segment, b64Segment, b64Segment).map((parts) => `Signet ${parts.join('.')}`),
      fc.tuple(jsonSegment, jsonSegment, b64Segment).map((parts) => `Signet ${parts.join('.')}`),
      fc.tuple(realHeader(), jsonSegment, fc.uint8Array({ minLength: 64, maxLength: 64 })).map(([h, p, s]) => `Signet ${h}.${p}.${encodeBase64url(s)}`),
      fc.tuple(realHeader(), b64Segment, fc.uint8Array({ minLength: 64, maxLength: 64 })).map(([h, p, s]) => `Signet ${h}.${p}.${encodeBase64url(s)}`),
    );
    const before = stores.replay.size();
    await fc.assert(
      fc.asyncProperty(authorization, async (value) => {
        const error = await refusal(verify, { method: 'GET', target: '/v1/whoami', authorization: value, body: new Uint8Array(0) });
        expect(['invalid_token', 'missing_token']).toContain(error.code);
      }),
      { numRuns: FUZZ_RUNS },
    );
    expect(stores.replay.size()).toBe(before);
  });

  it('rejects every one-character change, insertion or deletion in a valid token', async () => {
    const { token, claims } = await sign({ method: 'GET', url: ORIGIN + '/v1/whoami' });
    const request = (authorization: string): IncomingRequest => ({ method: 'GET', target: '/v1/whoami', authorization, body: new Uint8Array(0) });
    const characters = fc.constantFrom(...(BASE64URL + '.=+/ ').split(''));
    const edit = fc.oneof(
      fc.tuple(fc.constant('replace' as const), fc.nat({ max: token.length - 1 }), characters),
      fc.tuple(fc.constant('insert' as const), fc.nat({ max: token.length }), characters),
      fc.tuple(fc.constant('delete' as const), fc.nat({ max: token.length - 1 }), fc.constant('')),
    );
    await fc.assert(
      fc.asyncProperty(edit, async ([kind, at, c]) => {
        fc.pre(kind !== 'replace' || token[at] !== c);
        // Spaces around the token are HTTP whitespace (RFC 9110 allows 1*SP after the scheme), not part of it.
        fc.pre(!(kind === 'insert' && c === ' ' && (at === 0 || at === token.length)));
        const changed = token.slice(0, at) + (kind === 'delete' ? '' : c) + token.slice(kind === 'insert' ? at : at + 1);
        expect(changed).not.toBe(token);
        await refusal(verify, request(`Signet ${changed}`));
      }),
      { numRuns: FUZZ_RUNS },
    );
    // The untouched token still verifies: the edits, not the token, were refused.
    expect((await verify(request(`Signet ${token}`))).claims.jti).toBe(claims.jti);
  });

  it(
    'rejects a token made for request A when presented with a different request B, and accepts it for A',
    async () => {
      const pathChar = fc.constantFrom(..."abcXYZ019-._~!$&'()*+,;=:@".split(''), '%2f', '%2F', '%41', '%c3%a9');
      const path = fc.array(fc.string({ unit: pathChar, maxLength: 6 }), { maxLength: 4 }).map((segments) => '/' + segments.join('/'));
      const query = fc
        .option(fc.array(fc.tuple(fc.string({ unit: pathChar, maxLength: 4 }), fc.string({ unit: pathChar, maxLength: 4 })), { maxLength: 3 }), { nil: undefined })
        .map((pairs) => (pairs === undefined ? '' : '?' + pairs.map(([k, v]) => `${k}=${v}`).join('&')));
      const requestShape = fc.record({
        method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH'),
        target: fc.tuple(path, query).map(([p, q]) => p + q),
        body: fc.uint8Array({ maxLength: 32 }),
      });
      const canonical = (r: { method: string; target: string; body: Uint8Array }) => `${r.method} ${canonicalizeUrl(ORIGIN + r.target)?.href} ${Buffer.from(r.body).toString('hex')}`;
      await fc.assert(
        fc.asyncProperty(requestShape, requestShape, async (a, b) => {
          fc.pre(canonical(a) !== canonical(b));
          const { authorization } = await sign({ method: a.method, url: ORIGIN + a.target, body: a.body });
          const error = await refusal(verify, { ...b, authorization });
          expect(error.code).toBe('binding_mismatch');
          const verified = await verify({ ...a, authorization });
          expect(verified.claims.method).toBe(a.method);
        }),
        { numRuns: FUZZ_RUNS },
      );
    },
    FUZZ_TIMEOUT_MS,
  );
});

describe('random Authorization headers over HTTP', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h.close());

  it(
    'are answered 401 with a problem body, never 200 and never 5xx',
    async () => {
      const { kid } = await h.addConsumer();
      const headerSafe = fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 300 });
      const value = fc.oneof(
        headerSafe,
        headerSafe.map((s) => `Signet ${s}`),
        fc.tuple(b64Segment, b64Segment, b64Segment).map((parts) => `Signet ${parts.join('.')}`),
        fc
          .tuple(jsonSegment, fc.uint8Array({ minLength: 64, maxLength: 64 }))
          .map(([p, s]) => `Signet ${segment(JSON.stringify({ alg: 'EdDSA', kid, typ: 'signet+jwt' }))}.${p}.${encodeBase64url(s)}`),
      );
      await fc.assert(
        fc.asyncProperty(value, fc.constantFrom('/v1/whoami', '/v1/echo'), async (authorization, path) => {
          const response = await fetch(h.baseUrl + path, { method: path === '/v1/echo' ? 'POST' : 'GET', headers: { Authorization: authorization }, body: path === '/v1/echo' ? 'x' : undefined });
          expect(response.status).toBe(401);
          expect((await response.json()).code).toMatch(/^(invalid_token|missing_token)$/);
        }),
        { numRuns: FUZZ_RUNS },
      );
      expect(h.stores.replay.size()).toBe(0);
    },
    FUZZ_TIMEOUT_MS,
  );
});
