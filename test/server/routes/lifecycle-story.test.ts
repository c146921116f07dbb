import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair, type Ed25519KeyPair } from '../../../src/client/keys.js';
import { encodeBase64url } from '../../../src/protocol/base64url.js';
import { publicKeyToJwk, publicKeyToPem } from '../../../src/protocol/public-key.js';
import { readAnswer, startHarness, T0, type Harness, type SignedCall } from '../../helpers/harness.js';

describe('the consumer and key lifecycle over HTTP', () => {
  let h: Harness;
  let admin: { pair: Ed25519KeyPair; kid: string };
  let consumerId: string;
  let code: string;
  const key1 = { pair: undefined as unknown as Ed25519KeyPair, kid: '' };
  const key2 = { pair: undefined as unknown as Ed25519KeyPair, kid: '' };
  const key3 = { pair: undefined as unknown as Ed25519KeyPair, kid: '' };

  const call = async (request: SignedCall) => readAnswer(await h.send(request));
  const asAdmin = (method: string, path: string, json?: unknown) => call({ method, path, json, ...admin });
  const whoami = (key: { pair: Ed25519KeyPair; kid: string }) => call({ method: 'GET', path: '/v1/whoami', ...key });

  beforeAll(async () => {
    h = await startHarness();
    admin = await h.addAdmin();
    key1.pair = await generateKeyPair();
    key2.pair = await generateKeyPair();
    key3.pair = await generateKeyPair();
  });
  afterAll(async () => h?.close());

  it('lets an admin create a consumer with a plan and metadata', async () => {
    const created = await asAdmin('POST', '/admin/v1/consumers', { name: 'acme', plan: 'internal', metadata: { team: 'billing', seats: 3 } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'acme', status: 'active', plan: 'internal', metadata: { team: 'billing', seats: 3 }, allowed_modes: ['ed25519'] });
    consumerId = created.body.id;
    const shown = await asAdmin('GET', `/admin/v1/consumers/${consumerId}`);
    expect(shown.body).toEqual(created.body);
  });

  it('issues a one-time enrollment code that lives 24 hours by default and is stored only as a hash', async () => {
    const issued = await asAdmin('POST', `/admin/v1/consumers/${consumerId}/enrollment-codes`);
    expect(issued.status).toBe(201);
    code = issued.body.code;
    expect(code).toMatch(/^sgnt_enroll_[0-9A-Za-z]{32}$/);
    expect(issued.body.expires_at).toBe(new Date(T0 + 24 * 3600 * 1000).toISOString());
    expect(issued.body.scopes).toEqual(['keys']);
    const rows = await h.db('enrollment_codes').select();
    expect(JSON.stringify(rows)).not.toContain(code);
    expect(JSON.stringify(rows)).not.toContain(code.slice('sgnt_enroll_'.length));
  });

  it('refuses an enrollment without a proof of possession, and leaves the code unused', async () => {
    const refused = await call({ method: 'POST', path: '/v1/enroll', json: { code, public_key: publicKeyToJwk(key1.pair.publicKey) } });
    expect(refused.status).toBe(401);
    expect(refused.body.code).toBe('invalid_proof');
    const row = await h.db('enrollment_codes').first();
    expect(row.used_at).toBeNull();
  });

  it('refuses an enrollment whose proof is signed by another key than the uploaded one', async () => {
    const intruder = await generateKeyPair();
    const refused = await call({ method: 'POST', path: '/v1/enroll', json: { code, public_key: publicKeyToJwk(key1.pair.publicKey) }, proof: intruder });
    expect(refused.status).toBe(401);
    expect(refused.body.code).toBe('invalid_proof');
  });

  it('enrolls a key uploaded with the code and a proof signed by that key', async () => {
    const enrolled = await call({ method: 'POST', path: '/v1/enroll', json: { code, public_key: publicKeyToPem(key1.pair.publicKey), label: 'laptop' }, proof: key1.pair });
    expect(enrolled.status).toBe(201);
    expect(enrolled.body).toMatchObject({ consumer_id: consumerId, key: { label: 'laptop', scopes: ['keys'], status: 'active', public_key: publicKeyToJwk(key1.pair.publicKey) } });
    key1.kid = enrolled.body.key.id;
  });

  it('refuses the same enrollment code a second time, naming it as used', async () => {
    const other = await generateKeyPair();
    const refused = await call({ method: 'POST', path: '/v1/enroll', json: { code, public_key: publicKeyToJwk(other.publicKey) }, proof: other });
    expect(refused.status).toBe(401);
    expect(refused.body).toMatchObject({ code: 'invalid_enrollment_code', reason: 'used' });
  });

  it('accepts a signed call with the enrolled key', async () => {
    const me = await whoami(key1);
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ consumer_id: consumerId, key_id: key1.kid });
  });

  it('refuses to add a key without a proof signed by the new key', async () => {
    const refused = await call({ method: 'POST', path: '/v1/keys', json: { public_key: publicKeyToJwk(key2.pair.publicKey) }, ...key1 });
    expect(refused.status).toBe(401);
    expect(refused.body.code).toBe('invalid_proof');
  });

  it('refuses a proof that was signed for another request body, naming the proof', async () => {
    const refused = await call({
      method: 'POST',
      path: '/v1/keys',
      json: { public_key: publicKeyToJwk(key2.pair.publicKey) },
      ...key1,
      proof: key2.pair,
      proofSigned: { body: '{"public_key":"something else"}' },
    });
    expect(refused.status).toBe(401);
    expect(refused.body).toMatchObject({ code: 'binding_mismatch', token: 'proof' });
    expect(refused.body.mismatches.map((m: { claim: string }) => m.claim)).toEqual(['body_sha256']);
  });

  it('adds a second key signed by an existing key and by the new key', async () => {
    const added = await call({ method: 'POST', path: '/v1/keys', json: { public_key: publicKeyToJwk(key2.pair.publicKey), label: 'ci' }, ...key1, proof: key2.pair });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ consumer_id: consumerId, label: 'ci', scopes: ['keys'] });
    key2.kid = added.body.id;
    expect((await whoami(key2)).status).toBe(200);
  });

  it('answers 409 when the same public key is uploaded twice', async () => {
    const again = await call({ method: 'POST', path: '/v1/keys', json: { public_key: publicKeyToJwk(key2.pair.publicKey) }, ...key1, proof: key2.pair });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('conflict');
  });

  it('rotates a key: the old one works during the overlap and fails after it', async () => {
    const rotated = await call({
      method: 'POST',
      path: `/v1/keys/${key1.kid}/rotate`,
      json: { public_key: publicKeyToJwk(key3.pair.publicKey), overlap_seconds: 3600 },
      ...key1,
      proof: key3.pair,
    });
    expect(rotated.status).toBe(201);
    expect(rotated.body.previous).toMatchObject({ id: key1.kid, expires_at: new Date(h.clock.now() + 3600_000).toISOString(), status: 'active' });
    expect(rotated.body.key).toMatchObject({ label: 'laptop', scopes: ['keys'] });
    key3.kid = rotated.body.key.id;
    h.clock.advance(3600_000 - 1000);
    expect((await whoami(key1)).status).toBe(200);
    expect((await whoami(key3)).status).toBe(200);
    h.clock.advance(2000);
    const expired = await whoami(key1);
    expect(expired.status).toBe(401);
    expect(expired.body.code).toBe('key_expired');
    expect((await whoami(key3)).status).toBe(200);
  });

  it('revokes a key so that the very next request with it is refused, and revoking again is harmless', async () => {
    expect((await whoami(key2)).status).toBe(200);
    const revoked = await call({ method: 'POST', path: `/v1/keys/${key2.kid}/revoke`, ...key3 });
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ id: key2.kid, status: 'revoked' });
    const next = await whoami(key2);
    expect(next.status).toBe(401);
    expect(next.body.code).toBe('key_revoked');
    const again = await call({ method: 'POST', path: `/v1/keys/${key2.kid}/revoke`, ...key3 });
    expect(again.status).toBe(200);
    expect(again.body.revoked_at).toBe(revoked.body.revoked_at);
  });

  it('lists the consumer keys with their states, for the consumer and for the admin', async () => {
    const own = await call({ method: 'GET', path: '/v1/keys', ...key3 });
    const states = Object.fromEntries(own.body.items.map((k: { id: string; status: string }) => [k.id, k.status]));
    expect(states).toEqual({ [key1.kid]: 'expired', [key2.kid]: 'revoked', [key3.kid]: 'active' });
    const viaAdmin = await asAdmin('GET', `/admin/v1/consumers/${consumerId}/keys`);
    expect(viaAdmin.body.items).toEqual(own.body.items);
    expect(viaAdmin.body.items.find((k: { id: string }) => k.id === key3.kid).last_used_at).not.toBeNull();
  });

  it('disables a consumer with effect on the very next request, and enables it again', async () => {
    expect((await whoami(key3)).status).toBe(200);
    const disabled = await asAdmin('POST', `/admin/v1/consumers/${consumerId}/disable`);
    expect(disabled.body.status).toBe('disabled');
    const refused = await whoami(key3);
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('consumer_disabled');
    await asAdmin('POST', `/admin/v1/consumers/${consumerId}/enable`);
    expect((await whoami(key3)).status).toBe(200);
  });

  it('answers 403 insufficient_scope naming the scope a route needs', async () => {
    const notAdmin = await call({ method: 'GET', path: '/admin/v1/consumers', ...key3 });
    expect(notAdmin.status).toBe(403);
    expect(notAdmin.body).toMatchObject({ code: 'insufficient_scope', required_scopes: ['admin'] });
    const plain = await h.addConsumer('no-scopes');
    const noKeysScope = await call({ method: 'GET', path: '/v1/keys', pair: plain.pair, kid: plain.kid });
    expect(noKeysScope.status).toBe(403);
    expect(noKeysScope.body.required_scopes).toEqual(['keys']);
    const fresh = await generateKeyPair();
    const escalation = await call({ method: 'POST', path: '/v1/keys', json: { public_key: publicKeyToJwk(fresh.publicKey), scopes: ['admin'] }, ...key3, proof: fresh });
    expect(escalation.status).toBe(403);
    expect(escalation.body.code).toBe('insufficient_scope');
  });

  it('needs force to revoke the last active key of your own consumer', async () => {
    const refused = await call({ method: 'POST', path: `/v1/keys/${key3.kid}/revoke`, ...key3 });
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('conflict');
    expect((await whoami(key3)).status).toBe(200);
    const forced = await call({ method: 'POST', path: `/v1/keys/${key3.kid}/revoke?force=true`, ...key3 });
    expect(forced.status).toBe(200);
    expect((await whoami(key3)).body.code).toBe('key_revoked');
  });

  it('audits every step with actor, action, target, request id and source address, and no key material', async () => {
    const audit = await asAdmin('GET', `/admin/v1/audit?consumer=${consumerId}&limit=200`);
    expect(audit.status).toBe(200);
    const entries = [...audit.body.items].reverse() as Array<Record<string, any>>;
    expect(entries.map((e) => `${e.action} by ${e.actor}`)).toEqual([
      `consumer.create by ${admin.kid}`,
      `enrollment_code.create by ${admin.kid}`,
      `key.enroll by ${key1.kid}`,
      `key.create by ${key1.kid}`,
      `key.create by ${key1.kid}`,
      `key.rotate by ${key1.kid}`,
      `key.revoke by ${key3.kid}`,
      `consumer.disable by ${admin.kid}`,
      `consumer.enable by ${admin.kid}`,
      `key.revoke by ${key3.kid}`,
    ]);
    for (const entry of entries) {
      expect(entry.request_id).toMatch(/^[0-9a-f-]{36}$/);
      expect(entry.source_ip).toMatch(/127\.0\.0\.1/);
      expect(entry.consumer_id).toBe(consumerId);
    }
    expect(entries[5]).toMatchObject({ target: { type: 'key', id: key1.kid }, after: { replaced_by: key3.kid } });
    expect(entries[7]).toMatchObject({ before: { status: 'active' }, after: { status: 'disabled' } });
    const text = JSON.stringify(audit.body);
    for (const pair of [key1.pair, key2.pair, key3.pair]) expect(text).not.toContain(encodeBase64url(pair.publicKey));
    expect(text).not.toContain(code);
  });

  it('filters the audit log by time, action and actor, and pages through it', async () => {
    const since = new Date(T0 + 3600_000).toISOString();
    const late = await asAdmin('GET', `/admin/v1/audit?consumer=${consumerId}&since=${since}`);
    expect(late.body.items.every((e: { at: string }) => e.at >= since)).toBe(true);
    expect(late.body.items.length).toBe(4);
    const revokes = await asAdmin('GET', `/admin/v1/audit?action=key.revoke&actor=${key3.kid}`);
    expect(revokes.body.items).toHaveLength(2);
    const first = await asAdmin('GET', `/admin/v1/audit?consumer=${consumerId}&limit=3`);
    const second = await asAdmin('GET', `/admin/v1/audit?consumer=${consumerId}&limit=3&cursor=${first.body.next_cursor}`);
    expect(first.body.items).toHaveLength(3);
    expect(second.body.items[0].id).toBeLessThan(first.body.items[2].id);
  });

  it('refuses an expired enrollment code', async () => {
    const issued = await asAdmin('POST', `/admin/v1/consumers/${consumerId}/enrollment-codes`, { ttl_seconds: 60 });
    expect(issued.body.expires_at).toBe(new Date(h.clock.now() + 60_000).toISOString());
    h.clock.advance(61_000);
    const late = await generateKeyPair();
    const refused = await call({ method: 'POST', path: '/v1/enroll', json: { code: issued.body.code, public_key: publicKeyToJwk(late.publicKey) }, proof: late });
    expect(refused.status).toBe(401);
    expect(refused.body).toMatchObject({ code: 'invalid_enrollment_code', reason: 'expired' });
  });

  it('refuses an unknown enrollment code', async () => {
    const someone = await generateKeyPair();
    const refused = await call({ method: 'POST', path: '/v1/enroll', json: { code: 'signet_enroll_guess', public_key: publicKeyToJwk(someone.publicKey) }, proof: someone });
    expect(refused.body).toMatchObject({ code: 'invalid_enrollment_code', reason: 'unknown' });
  });

  it('deletes a consumer: its keys stop working at once and its audit history stays', async () => {
    const victim = await asAdmin('POST', '/admin/v1/consumers', { name: 'short-lived' });
    const issued = await asAdmin('POST', `/admin/v1/consumers/${victim.body.id}/enrollment-codes`);
    const pair = await generateKeyPair();
    const enrolled = await call({ method: 'POST', path: '/v1/enroll', json: { code: issued.body.code, public_key: publicKeyToJwk(pair.publicKey) }, proof: pair });
    expect((await whoami({ pair, kid: enrolled.body.key.id })).status).toBe(200);
    const deleted = await asAdmin('DELETE', `/admin/v1/consumers/${victim.body.id}`);
    expect(deleted.status).toBe(204);
    expect((await whoami({ pair, kid: enrolled.body.key.id })).status).toBe(401);
    expect((await asAdmin('GET', `/admin/v1/consumers/${victim.body.id}`)).status).toBe(404);
    const history = await asAdmin('GET', `/admin/v1/audit?consumer=${victim.body.id}`);
    expect(history.body.items.map((e: { action: string }) => e.action)).toEqual(['consumer.delete', 'key.enroll', 'enrollment_code.create', 'consumer.create']);
  });

  it('refuses to let an admin disable or delete its own consumer', async () => {
    const me = await whoami(admin);
    for (const [method, path] of [
      ['POST', `/admin/v1/consumers/${me.body.consumer_id}/disable`],
      ['DELETE', `/admin/v1/consumers/${me.body.consumer_id}`],
    ] as const) {
      const refused = await asAdmin(method, path);
      expect(refused.status).toBe(409);
    }
    expect((await whoami(admin)).status).toBe(200);
  });
});
