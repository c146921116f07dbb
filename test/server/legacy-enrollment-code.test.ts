import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair } from '../../src/client/keys.js';
import { newEnrollmentCodeId, randomBase62 } from '../../src/protocol/ids.js';
import { publicKeyToJwk } from '../../src/protocol/public-key.js';
import { ENROLLMENT_CODE_PREFIX, LEGACY_ENROLLMENT_CODE_PREFIX, looksLikeEnrollmentCode } from '../../src/protocol/secret-formats.js';
import { hashEnrollmentCode } from '../../src/server/enrollment-code.js';
import { LOCAL_OPERATOR_CONTEXT } from '../../src/store/types.js';
import { readAnswer, startHarness, type Harness } from '../helpers/harness.js';

/** Codes issued before every secret shared the `sgnt_` prefix, stored as the server stored them then. */
describe('enrollment codes issued with the legacy signet_enroll_ prefix', () => {
  let h: Harness;
  let consumerId: string;

  beforeAll(async () => {
    h = await startHarness();
    consumerId = (await h.addConsumer('legacy')).record.consumer.id;
  });
  afterAll(async () => h?.close());

  async function legacyCode(ttlMs: number): Promise<string> {
    const code = LEGACY_ENROLLMENT_CODE_PREFIX + randomBase62(32);
    await h.signet.server.credentials.createEnrollmentCode(
      { id: newEnrollmentCodeId(), consumerId, scopes: ['keys'], expiresAt: h.clock.now() + ttlMs, codeHash: hashEnrollmentCode(code) },
      LOCAL_OPERATOR_CONTEXT,
    );
    return code;
  }

  async function enroll(code: string) {
    const pair = await generateKeyPair();
    return readAnswer(await h.send({ method: 'POST', path: '/v1/enroll', json: { code, public_key: publicKeyToJwk(pair.publicKey) }, proof: pair }));
  }

  it('still enrolls a key while the code is valid', async () => {
    const answer = await enroll(await legacyCode(60_000));
    expect(answer.status).toBe(201);
    expect(answer.body.consumer_id).toBe(consumerId);
  });

  it('is refused as expired once its time has passed, like any code', async () => {
    const code = await legacyCode(60_000);
    h.clock.advance(60_001);
    const answer = await enroll(code);
    expect(answer.status).toBe(401);
    expect(answer.body).toMatchObject({ code: 'invalid_enrollment_code', reason: 'expired' });
  });

  it('new codes use the sgnt_ family, and both shapes pass the portal check', async () => {
    expect(ENROLLMENT_CODE_PREFIX).toBe('sgnt_enroll_');
    expect(looksLikeEnrollmentCode('sgnt_enroll_' + randomBase62(32))).toBe(true);
    expect(looksLikeEnrollmentCode('signet_enroll_' + randomBase62(32))).toBe(true);
    expect(looksLikeEnrollmentCode('sgnt_hs_' + randomBase62(32))).toBe(false);
  });
});
