import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { SignetError } from '../../src/protocol/errors.js';
import { newConsumerId, newKeyId } from '../../src/protocol/ids.js';
import { importEd25519PublicKey, jwkThumbprint } from '../../src/protocol/public-key.js';
import type { ParsedToken } from '../../src/protocol/token.js';
import { KeyCache } from '../../src/server/key-cache.js';
import { checkSignature } from '../../src/server/verifier.js';
import { createStores, type Stores } from '../../src/store/factory.js';
import { T0 } from '../helpers/harness.js';
import { suiteRuns } from '../helpers/optional-suites.js';

const FILE = fileURLToPath(new URL('../../../shared/vectors/ed25519_test.json', import.meta.url));
const present = suiteRuns('the Wycheproof Ed25519 vectors', existsSync(FILE) ? undefined : `${FILE} is absent`);

interface Group {
  publicKey: { pk: string };
  publicKeyPem: string;
  publicKeyJwk: Record<string, unknown>;
  tests: Array<{ tcId: number; comment: string; flags: string[]; msg: string; sig: string; result: 'valid' | 'invalid' }>;
}

/**
 * Wycheproof's 151 Ed25519 cases through Signet's own path: each public key is imported with
 * importEd25519PublicKey (JWK and PEM, as an upload would be), stored, resolved through the
 * KeyCache that the verifier uses, and each signature checked with the verifier's checkSignature.
 * Keys the import refuses (small-order, non-canonical) can verify nothing, whatever the label.
 */
describe.skipIf(!present)('Wycheproof ed25519_test.json through key import, the key cache and checkSignature', () => {
  const groups: Group[] = present ? (JSON.parse(readFileSync(FILE, 'utf8')) as { testGroups: Group[] }).testGroups : [];
  const clock = new ManualClock(T0);
  let stores: Stores;
  let keys: KeyCache;
  /** kid per group, or the import refusal. */
  const imported = new Map<Group, string | SignetError>();

  beforeAll(async () => {
    const kidByKey = new Map<string, string>();
    stores = await createStores(loadConfig({ db: ':memory:', logLevel: 'silent' }, {}), clock);
    keys = new KeyCache({ store: stores.credentials, clock, size: 1000, ttlMs: 3_600_000, negativeTtlMs: 3_600_000 });
    for (const group of groups) {
      let raw: Uint8Array;
      try {
        raw = importEd25519PublicKey(group.publicKeyJwk);
        expect(Buffer.from(importEd25519PublicKey(group.publicKeyPem)).toString('hex')).toBe(group.publicKey.pk);
      } catch (error) {
        imported.set(group, error as SignetError);
        continue;
      }
      // Several groups share one key, and a key is stored once (thumbprints are unique).
      let kid = kidByKey.get(group.publicKey.pk);
      if (kid === undefined) {
        kid = newKeyId();
        const thumbprint = await jwkThumbprint(raw);
        await stores.credentials.createConsumerWithKey({ id: newConsumerId(), name: 'wycheproof' }, { id: kid, consumerId: '', type: 'ed25519', publicKey: raw, thumbprint }, T0);
        kidByKey.set(group.publicKey.pk, kid);
      }
      imported.set(group, kid);
    }
  });
  afterAll(async () => stores?.close());

  async function verifies(group: Group, msgHex: string, sigHex: string): Promise<boolean> {
    const kid = imported.get(group);
    if (typeof kid !== 'string') return false;
    const resolved = await keys.resolve(kid);
    if (resolved === undefined) throw new Error(`stored key ${kid} did not resolve`);
    // checkSignature verifies the latin1 bytes of signingInput: any message bytes round-trip through it.
    const parsed = { signingInput: Buffer.from(msgHex, 'hex').toString('latin1'), signature: new Uint8Array(Buffer.from(sigHex, 'hex')) } as ParsedToken;
    return checkSignature(parsed, resolved, undefined);
  }

  it('holds 151 cases in 78 key groups, 88 labelled valid and 63 invalid; the import refuses none of the keys', () => {
    const cases = groups.flatMap((g) => g.tests);
    expect(cases).toHaveLength(151);
    expect(groups).toHaveLength(78);
    expect(cases.filter((c) => c.result === 'valid')).toHaveLength(88);
    // None of Wycheproof's keys is small-order; those are refused by test/protocol/public-key.test.ts
    // and over HTTP by test/security/key-attacks.test.ts.
    const refused = [...imported.values()].filter((v) => v instanceof SignetError);
    expect(refused).toHaveLength(0);
  });

  it('agrees with every label: valid signatures verify, malleated, truncated, padded and mis-encoded ones do not', async () => {
    const disagreements: string[] = [];
    const byFlag: Record<string, number> = {};
    for (const group of groups) {
      for (const test of group.tests) {
        const outcome = await verifies(group, test.msg, test.sig);
        if (outcome !== (test.result === 'valid')) disagreements.push(`tcId ${test.tcId} (${test.comment}): labelled ${test.result}`);
        if (test.result === 'invalid') for (const flag of test.flags) byFlag[flag] = (byFlag[flag] ?? 0) + 1;
      }
    }
    expect(disagreements).toEqual([]);
    // The refused invalid cases cover every attack flag the file carries.
    expect(Object.keys(byFlag).sort()).toEqual(['CompressedSignature', 'InvalidEncoding', 'InvalidKtv', 'InvalidSignature', 'SignatureMalleability', 'SignatureWithGarbage', 'TruncatedSignature']);
  });

  it('refuses every valid signature once one bit of the message or signature changes', async () => {
    for (const group of groups) {
      for (const test of group.tests.filter((t) => t.result === 'valid')) {
        const sig = Buffer.from(test.sig, 'hex');
        sig[sig.length - 1]! ^= 0x01;
        expect(await verifies(group, test.msg, sig.toString('hex')), `tcId ${test.tcId}`).toBe(false);
        const msg = test.msg === '' ? '00' : (parseInt(test.msg.slice(0, 2), 16) ^ 0x80).toString(16).padStart(2, '0') + test.msg.slice(2);
        expect(await verifies(group, msg, test.sig), `tcId ${test.tcId}`).toBe(false);
      }
    }
  });
});
