import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair, type Ed25519KeyPair } from '../../src/client/keys.js';
import { newKeyId } from '../../src/protocol/ids.js';
import { jwkThumbprint } from '../../src/protocol/public-key.js';
import { BODY_SCHEMAS } from '../../src/server/api-schemas.js';
import { parseBodyBytes } from '../../src/server/validation.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { expectFieldErrors } from '../helpers/security.js';
import { FUZZ_RUNS, FUZZ_TIMEOUT_MS } from '../helpers/test-env.js';

const encoder = new TextEncoder();

/** Field names the schemas know, so random bodies often reach nested checks and not only "unknown field". */
const FIELDS = ['name', 'plan', 'metadata', 'allowed_modes', 'ttl_seconds', 'scopes', 'force', 'public_key', 'label', 'not_before', 'expires_at', 'overlap_seconds', 'code'];

const value = fc.jsonValue({ maxDepth: 3 });
const knownFieldObject = fc.dictionary(fc.constantFrom(...FIELDS), value, { maxKeys: 5 });
const bodies: fc.Arbitrary<Uint8Array> = fc.oneof(
  knownFieldObject.map((o) => encoder.encode(JSON.stringify(o))),
  value.map((v) => encoder.encode(JSON.stringify(v))),
  fc.string().map((s) => encoder.encode(s)),
  fc.uint8Array({ maxLength: 64 }),
);

describe('lifecycle body schemas under random input', () => {
  for (const [route, schema] of Object.entries(BODY_SCHEMAS)) {
    it(`${route}: any body either validates or is refused as invalid_request with field paths`, () => {
      fc.assert(
        fc.property(bodies, (bytes) => {
          try {
            parseBodyBytes(schema, bytes);
          } catch (error) {
            expectFieldErrors(error);
          }
        }),
        { numRuns: FUZZ_RUNS },
      );
    });
  }
});

describe('lifecycle routes under random JSON bodies over HTTP', () => {
  let h: Harness;
  let admin: { pair: Ed25519KeyPair; kid: string };
  let target: { id: string; kid: string };
  let revokedOwnKid: string;

  beforeAll(async () => {
    h = await startHarness();
    const adminRecord = await h.addAdmin();
    admin = adminRecord;
    const victim = await h.addConsumer('fuzz-target', { scopes: ['keys'] });
    target = { id: victim.record.consumer.id, kid: victim.kid };
    // A key of the admin's own consumer, already revoked, so random revoke bodies cannot lock the admin out.
    const spare = await generateKeyPair();
    revokedOwnKid = newKeyId();
    await h.stores.credentials.insertKey(
      { id: revokedOwnKid, consumerId: adminRecord.record.consumer.id, type: 'ed25519', publicKey: spare.publicKey, thumbprint: await jwkThumbprint(spare.publicKey), scopes: [] },
      h.clock.now(),
    );
    await h.stores.credentials.revokeKey(revokedOwnKid, h.clock.now());
  });
  afterAll(async () => h?.close());

  const routes = (): Array<[string, string]> => [
    ['POST', '/admin/v1/consumers'],
    ['PATCH', `/admin/v1/consumers/${target.id}`],
    ['POST', `/admin/v1/consumers/${target.id}/enrollment-codes`],
    ['POST', `/admin/v1/keys/${revokedOwnKid}/revoke`],
    ['POST', '/v1/keys'],
    ['POST', `/v1/keys/${admin.kid}/rotate`],
    ['POST', `/v1/keys/${revokedOwnKid}/revoke`],
    ['POST', '/v1/enroll'],
  ];

  it(
    'never answers 5xx, and every 400 names field paths',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...routes()), bodies, async ([method, path], body) => {
          h.clock.advance(1);
          const response = await h.send({ method, path, body, ...admin });
          expect(response.status).toBeLessThan(500);
          const problem = response.status >= 400 ? await response.json() : await response.text();
          if (response.status === 400 && problem.code === 'invalid_request') {
            expect(Array.isArray(problem.errors), JSON.stringify(problem)).toBe(true);
            for (const item of problem.errors) expect(typeof item.path).toBe('string');
          }
        }),
        { numRuns: FUZZ_RUNS },
      );
      expect((await h.send({ method: 'GET', path: '/v1/whoami', ...admin })).status).toBe(200);
    },
    FUZZ_TIMEOUT_MS,
  );
});
