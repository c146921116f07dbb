import { parse as parseQueryString } from 'node:querystring';
import fc from 'fast-check';
import type { Context } from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { ManualClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { decodeBase64url, encodeBase64url } from '../../src/protocol/base64url.js';
import { SignetError } from '../../src/protocol/errors.js';
import { CLAIMS, HEADER_MEMBERS, JTI_PATTERN, KID_PATTERN, TOKEN_TYPE } from '../../src/protocol/format.js';
import { newConsumerId, newKeyId } from '../../src/protocol/ids.js';
import { signRequest } from '../../src/client/sign.js';
import { decodeClaims, parseToken } from '../../src/protocol/token.js';
import { AuditQuery, ConsumerListQuery, ForceQuery, KeyTypeListQuery } from '../../src/server/api-schemas.js';
import { KeyCache } from '../../src/server/key-cache.js';
import { AdminUsageQuery, OwnUsageQuery, toStoreQuery } from '../../src/server/usage/query.js';
import { parseQuery } from '../../src/server/validation.js';
import { createVerifier, type Verifier } from '../../src/server/verifier.js';
import { createStores, type Stores } from '../../src/store/factory.js';
import { startHarness, T0, type Harness } from '../helpers/harness.js';
import { expectFieldErrors } from '../helpers/security.js';
import { FUZZ_RUNS, FUZZ_TIMEOUT_MS } from '../helpers/test-env.js';
import { segment } from '../helpers/tokens.js';

/**
 * Property tests that complete the fuzzing of test/protocol and test/server: the token parser and
 * the claims decoder on their own, the HMAC path of the verifier, and every admin and self-service
 * query schema (the body schemas are fuzzed by test/server/lifecycle-properties.test.ts). Each runs
 * SIGNET_FUZZ_RUNS times (CI: 10,000).
 */

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const ORIGIN = 'https://api.example.test';

function expectInvalidToken(error: unknown): void {
  if (!(error instanceof SignetError)) throw new Error(`expected a SignetError, got ${String(error)}`);
  expect(error.code).toBe('invalid_token');
}

const b64Segment = fc.string({ unit: fc.constantFrom(...BASE64URL.split('')), maxLength: 80 });
const memberName = fc.oneof(fc.constantFrom(...HEADER_MEMBERS, 'jwk', 'jku', 'x5u', 'x5c', 'crit', 'b64', '__proto__', 'constructor', 'cty', 'zip'), fc.string({ maxLength: 8 }));
const memberValue = fc.oneof(fc.constantFrom('EdDSA', 'Ed25519', 'HS256', 'none', TOKEN_TYPE, 'key_AAAAAAAAAAAAAAAAAAAAAA'), fc.jsonValue({ maxDepth: 2 }));
const headerObject = fc.dictionary(memberName, memberValue, { maxKeys: 5 });

describe('the token parser under random input', () => {
  it('either refuses with invalid_token or returns a header of only alg, kid and typ, canonically encoded', () => {
    const token = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.string({ unit: 'binary', maxLength: 300 }),
      fc.tuple(b64Segment, b64Segment, b64Segment).map((parts) => parts.join('.')),
      fc.tuple(headerObject, b64Segment, fc.uint8Array({ maxLength: 80 })).map(([header, payload, sig]) => `${segment(JSON.stringify(header))}.${payload}.${encodeBase64url(sig)}`),
      fc.tuple(fc.string({ maxLength: 60 }), b64Segment, b64Segment).map(([text, payload, sig]) => `${segment(text)}.${payload}.${sig}`),
    );
    fc.assert(
      fc.property(token, (value) => {
        let parsed;
        try {
          parsed = parseToken(value);
        } catch (error) {
          expectInvalidToken(error);
          return;
        }
        const [h64, p64, s64] = value.split('.') as [string, string, string];
        expect(Object.keys(parsed.header).sort()).toEqual(['alg', 'kid', 'typ']);
        expect(parsed.header.typ).toBe(TOKEN_TYPE);
        expect(parsed.header.kid).toMatch(KID_PATTERN);
        expect(parsed.signingInput).toBe(`${h64}.${p64}`);
        expect(encodeBase64url(parsed.signature)).toBe(s64);
      }),
      { numRuns: FUZZ_RUNS },
    );
  });
});

describe('the claims decoder under random payloads', () => {
  it('either refuses with invalid_token or returns exactly the seven claims with their types', () => {
    const iat = Math.floor(T0 / 1000);
    const claimValue = (name: string): fc.Arbitrary<unknown> => {
      const good: Record<string, fc.Arbitrary<unknown>> = {
        method: fc.constantFrom('GET', 'POST'),
        url: fc.constant(`${ORIGIN}/v1/whoami`),
        body_sha256: fc.constant('47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU'),
        aud: fc.constant(ORIGIN),
        iat: fc.constant(iat),
        exp: fc.constant(iat + 60),
        jti: fc.string({ unit: fc.constantFrom(...BASE64URL.split('')), minLength: 18, maxLength: 30 }),
      };
      const odd = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.double(), fc.constantFrom(1e308, -1, 2 ** 53, 0.5, '1767225600', null));
      return fc.oneof({ weight: 3, arbitrary: good[name] ?? odd }, { weight: 1, arbitrary: odd });
    };
    const payload = fc.record(Object.fromEntries(CLAIMS.map((name) => [name, claimValue(name)])), { requiredKeys: [] });
    const extra = fc.dictionary(fc.oneof(fc.constantFrom('sub', 'iss', 'nbf', '__proto__', 'constructor'), fc.string({ maxLength: 6 })), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 2 });
    const text = fc.oneof(
      { weight: 4, arbitrary: fc.tuple(payload, fc.option(extra, { nil: undefined })).map(([p, e]) => JSON.stringify({ ...p, ...e })) },
      { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? 'null') },
      { weight: 1, arbitrary: fc.string({ maxLength: 100 }) },
    );
    fc.assert(
      fc.property(text, (json) => {
        let claims;
        try {
          claims = decodeClaims(decodeBase64url(segment(json)));
        } catch (error) {
          expectInvalidToken(error);
          return;
        }
        expect(Object.keys(claims).sort()).toEqual([...CLAIMS].sort());
        for (const name of ['method', 'url', 'body_sha256', 'aud', 'jti'] as const) expect(typeof claims[name]).toBe('string');
        for (const name of ['iat', 'exp'] as const) expect(Number.isSafeInteger(claims[name]) && claims[name] >= 0).toBe(true);
        expect(claims.jti).toMatch(JTI_PATTERN);
      }),
      { numRuns: FUZZ_RUNS },
    );
  });
});

describe('the HMAC path of the verifier', () => {
  const clock = new ManualClock(T0);
  const config = loadConfig({ db: ':memory:', publicOrigin: ORIGIN, logLevel: 'silent' }, {});
  const secret = new TextEncoder().encode('sgnt_hs_fuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzzfuz000000');
  let stores: Stores;
  let verify: Verifier;
  let kid: string;
  beforeAll(async () => {
    stores = await createStores(config, clock);
    const keys = new KeyCache({ store: stores.credentials, clock, size: 100, ttlMs: 3_600_000, negativeTtlMs: 3_600_000 });
    verify = createVerifier({ config, keys, replay: stores.replay, clock, hmacSecret: async () => secret });
    kid = newKeyId();
    const created = await stores.credentials.createConsumerWithKey(
      { id: newConsumerId(), name: 'hmac-fuzz', allowedModes: ['hmac'] },
      { id: kid, consumerId: '', type: 'hmac', publicKey: null, thumbprint: null },
      T0,
    );
    expect(created.key.type).toBe('hmac');
  });
  afterAll(async () => stores?.close());

  it('refuses every one-character change, insertion or deletion in a valid HS256 token, without a replay write', async () => {
    const { token } = await signRequest({ method: 'GET', url: `${ORIGIN}/v1/whoami`, key: { type: 'hmac', secret }, kid, now: T0 });
    const characters = fc.constantFrom(...(BASE64URL + '.=+/ ').split(''));
    const edit = fc.oneof(
      fc.tuple(fc.constant('replace' as const), fc.nat({ max: token.length - 1 }), characters),
      fc.tuple(fc.constant('insert' as const), fc.nat({ max: token.length }), characters),
      fc.tuple(fc.constant('delete' as const), fc.nat({ max: token.length - 1 }), fc.constant('')),
    );
    const request = (authorization: string) => ({ method: 'GET', target: '/v1/whoami', authorization, body: new Uint8Array(0) });
    await fc.assert(
      fc.asyncProperty(edit, async ([kind, at, c]) => {
        fc.pre(kind !== 'replace' || token[at] !== c);
        fc.pre(!(kind === 'insert' && c === ' ' && (at === 0 || at === token.length)));
        const changed = token.slice(0, at) + (kind === 'delete' ? '' : c) + token.slice(kind === 'insert' ? at : at + 1);
        const outcome = await verify(request(`Signet ${changed}`)).then(
          () => 'accepted',
          (error: unknown) => error,
        );
        expectInvalidToken(outcome);
      }),
      { numRuns: FUZZ_RUNS },
    );
    expect(stores.replay.size()).toBe(0);
    expect((await verify(request(`Signet ${token}`))).mode).toBe('hmac');
  });
});

/** Query parameters as a client may send them: known names, odd names, repeated values. */
const QUERY_NAMES = [
  'status',
  'plan',
  'cursor',
  'limit',
  'since',
  'until',
  'consumer',
  'actor',
  'action',
  'target',
  'force',
  'type',
  'state',
  'from',
  'to',
  'granularity',
  'key',
  'route',
  'status_class',
  'group_by',
  '__proto__',
  'constructor',
  'toString',
];
const queryValue = fc.oneof(
  fc.constantFrom(
    'active',
    'disabled',
    'true',
    'false',
    'hmac',
    'ed25519',
    'all',
    'unrevoked',
    'minute',
    'hour',
    'day',
    '2xx',
    'key',
    'route',
    '2026-01-01T00:00:00Z',
    '2025-12-31T00:00:00+01:00',
    '1',
    '0',
    '200',
    '201',
    '-1',
    '',
  ),
  fc.string({ maxLength: 70 }),
);
const queryText = fc
  .array(fc.tuple(fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...QUERY_NAMES) }, { weight: 1, arbitrary: fc.string({ maxLength: 8 }) }), queryValue), { maxLength: 6 })
  .map((pairs) => pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&'));

const QUERY_SCHEMAS: Record<string, { schema: z.ZodType; then?: (value: never) => unknown }> = {
  'GET /admin/v1/consumers': { schema: ConsumerListQuery },
  'GET /admin/v1/audit': { schema: AuditQuery },
  'GET /admin/v1/keys': { schema: KeyTypeListQuery },
  'GET /admin/v1/usage': { schema: AdminUsageQuery, then: (value) => toStoreQuery(value, T0) },
  'GET /v1/usage': { schema: OwnUsageQuery, then: (value) => toStoreQuery(value, T0) },
  'POST /admin/v1/keys/{kid}/revoke ?force': { schema: ForceQuery },
  'POST /v1/keys/{kid}/revoke ?force': { schema: ForceQuery },
};

describe('admin and self-service query schemas under random queries', () => {
  for (const [route, { schema, then }] of Object.entries(QUERY_SCHEMAS)) {
    it(`${route}: any query either validates or is refused as invalid_request with field paths`, () => {
      fc.assert(
        fc.property(queryText, (text) => {
          // koa's ctx.query is querystring.parse of the raw query, repeated names becoming arrays.
          const ctx = { query: parseQueryString(text) } as unknown as Context;
          try {
            const value = parseQuery(ctx, schema);
            then?.(value as never);
          } catch (error) {
            expectFieldErrors(error);
          }
        }),
        { numRuns: FUZZ_RUNS },
      );
    });
  }
});

describe('admin and self-service routes under random queries over HTTP', () => {
  let h: Harness;
  let admin: Awaited<ReturnType<Harness['addAdmin']>>;
  let revokedKid: string;
  beforeAll(async () => {
    h = await startHarness();
    admin = await h.addAdmin();
    const spare = await h.addConsumer('spare', { scopes: ['keys'] });
    await h.stores.credentials.revokeKey(spare.kid, h.clock.now());
    revokedKid = spare.kid;
  });
  afterAll(async () => h?.close());

  it(
    'never answer 5xx, and every 400 names field paths',
    async () => {
      const routes: Array<[string, string]> = [
        ['GET', '/admin/v1/consumers'],
        ['GET', '/admin/v1/audit'],
        ['GET', '/admin/v1/keys'],
        ['GET', '/admin/v1/usage'],
        ['GET', '/v1/usage'],
        ['GET', '/v1/keys'],
        ['POST', `/admin/v1/keys/${revokedKid}/revoke`],
      ];
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...routes), queryText, async ([method, path], query) => {
          h.clock.advance(1);
          const response = await h.send({ method, path: query === '' ? path : `${path}?${query}`, ...admin });
          expect(response.status).toBeLessThan(500);
          if (response.status === 400) {
            const problem = (await response.json()) as { code: string; errors?: Array<{ path: unknown }> };
            expect(problem.code).toBe('invalid_request');
            expect(Array.isArray(problem.errors)).toBe(true);
            for (const item of problem.errors!) expect(typeof item.path).toBe('string');
          } else {
            await response.arrayBuffer();
          }
        }),
        { numRuns: FUZZ_RUNS },
      );
      expect((await h.send({ method: 'GET', path: '/v1/whoami', ...admin })).status).toBe(200);
    },
    FUZZ_TIMEOUT_MS,
  );
});
