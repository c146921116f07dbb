import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair, type Ed25519KeyPair } from '../../../src/client/keys.js';
import { publicKeyToJwk } from '../../../src/protocol/public-key.js';
import { readAnswer, startHarness, T0, type Answer, type Harness, type SignedCall } from '../../helpers/harness.js';

describe('listing and cancelling enrollment codes over HTTP', () => {
  let h: Harness;
  let admin: { pair: Ed25519KeyPair; kid: string };
  let consumerId: string;

  const call = async (request: SignedCall) => readAnswer(await h.send(request));
  const asAdmin = (method: string, path: string, json?: unknown) => call({ method, path, json, ...admin });
  const issue = async (json: unknown = {}) => (await asAdmin('POST', `/admin/v1/consumers/${consumerId}/enrollment-codes`, json)).body as { code: string; id: string };
  async function enroll(code: string): Promise<Answer> {
    const pair = await generateKeyPair();
    return call({ method: 'POST', path: '/v1/enroll', json: { code, public_key: publicKeyToJwk(pair.publicKey) }, proof: pair });
  }
  /** The problem body without what differs between any two answers. */
  const comparable = ({ request_id: _r, server_time: _t, ...rest }: Record<string, unknown>) => rest;

  beforeAll(async () => {
    h = await startHarness();
    admin = await h.addAdmin();
    consumerId = (await asAdmin('POST', '/admin/v1/consumers', { name: 'globex' })).body.id;
  });
  afterAll(async () => h?.close());

  it("lists a consumer's codes with their states and never the codes themselves", async () => {
    // A millisecond apart: codes are listed by creation time, then id.
    const pending = await issue({ scopes: ['keys', 'reports'] });
    h.clock.advance(1);
    const used = await issue();
    expect((await enroll(used.code)).status).toBe(201);
    h.clock.advance(1);
    const expiring = await issue({ ttl_seconds: 60 });
    h.clock.advance(61_000);
    const listed = await asAdmin('GET', `/admin/v1/consumers/${consumerId}/enrollment-codes`);
    expect(listed.status).toBe(200);
    expect(listed.body.next_cursor).toBeNull();
    expect(listed.body.items.map((c: { id: string; state: string }) => [c.id, c.state])).toEqual([
      [pending.id, 'pending'],
      [used.id, 'used'],
      [expiring.id, 'expired'],
    ]);
    expect(listed.body.items[0]).toEqual({
      id: pending.id,
      consumer_id: consumerId,
      state: 'pending',
      scopes: ['keys', 'reports'],
      created_by: admin.kid,
      created_at: new Date(T0).toISOString(),
      expires_at: new Date(T0 + 24 * 3600_000).toISOString(),
      used_at: null,
      used_key_id: null,
      cancelled_at: null,
    });
    const keys = (await asAdmin('GET', `/admin/v1/consumers/${consumerId}/keys`)).body.items as Array<{ id: string }>;
    expect(listed.body.items[1].used_key_id).toBe(keys[0]!.id);
    for (const code of [pending, used, expiring]) expect(JSON.stringify(listed.body)).not.toContain(code.code);
    const outstanding = await asAdmin('GET', `/admin/v1/consumers/${consumerId}/enrollment-codes?state=pending`);
    expect(outstanding.body.items.map((c: { id: string }) => c.id)).toEqual([pending.id]);
  });

  it('pages through the codes with a cursor', async () => {
    const base = `/admin/v1/consumers/${consumerId}/enrollment-codes`;
    const ids = (answer: Answer) => answer.body.items.map((c: { id: string }) => c.id);
    const all = await asAdmin('GET', base);
    const first = await asAdmin('GET', `${base}?limit=2`);
    const second = await asAdmin('GET', `${base}?limit=2&cursor=${first.body.next_cursor}`);
    expect(ids(first)).toHaveLength(2);
    expect(second.body.next_cursor).toBeNull();
    expect([...ids(first), ...ids(second)]).toEqual(ids(all));
  });

  it('creates a code with the admin scope only when grants_admin confirms it, and marks it in the audit entry', async () => {
    const silent = await asAdmin('POST', `/admin/v1/consumers/${consumerId}/enrollment-codes`, { scopes: ['admin', 'keys'] });
    expect(silent.status).toBe(400);
    expect(silent.body).toMatchObject({ code: 'invalid_request' });
    expect(JSON.stringify(silent.body.errors)).toContain('grants_admin');
    const confirmed = await asAdmin('POST', `/admin/v1/consumers/${consumerId}/enrollment-codes`, { scopes: ['admin', 'keys'], grants_admin: true });
    expect(confirmed.status).toBe(201);
    const entries = (await asAdmin('GET', `/admin/v1/audit?target=${confirmed.body.id}&action=enrollment_code.create`)).body.items;
    expect(entries).toHaveLength(1);
    expect(entries[0].after).toMatchObject({ scopes: ['admin', 'keys'], grants_admin: true });
    const ordinary = await issue({ scopes: ['keys'] });
    const plain = (await asAdmin('GET', `/admin/v1/audit?target=${ordinary.id}&action=enrollment_code.create`)).body.items;
    expect(plain[0].after).not.toHaveProperty('grants_admin');
  });

  it('cancels a pending code, audits it, and then refuses the code exactly as an unknown one', async () => {
    const leaked = await issue();
    const cancelled = await asAdmin('POST', `/admin/v1/enrollment-codes/${leaked.id}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ id: leaked.id, state: 'cancelled', cancelled_at: new Date(h.clock.now()).toISOString(), used_at: null });
    const refused = await enroll(leaked.code);
    const unknown = await enroll('signet_enroll_' + 'x'.repeat(32));
    expect(refused.status).toBe(401);
    expect(refused.body).toMatchObject({ code: 'invalid_enrollment_code', reason: 'unknown' });
    expect(comparable(refused.body)).toEqual(comparable(unknown.body));
    const entries = (await asAdmin('GET', `/admin/v1/audit?target=${leaked.id}`)).body.items;
    expect(entries.map((e: { action: string }) => e.action)).toEqual(['enrollment_code.cancel', 'enrollment_code.create']);
    expect(entries[0]).toMatchObject({ actor: admin.kid, consumer_id: consumerId, request_id: cancelled.requestId, before: { state: 'pending' }, after: { state: 'cancelled' } });
  });

  it('answers a second cancellation with the code unchanged, writing no second entry', async () => {
    const code = await issue();
    const first = await asAdmin('POST', `/admin/v1/enrollment-codes/${code.id}/cancel`);
    h.clock.advance(5_000);
    const again = await asAdmin('POST', `/admin/v1/enrollment-codes/${code.id}/cancel`);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    const entries = (await asAdmin('GET', `/admin/v1/audit?target=${code.id}&action=enrollment_code.cancel`)).body.items;
    expect(entries).toHaveLength(1);
  });

  it('refuses to cancel a used code with 409 conflict, and leaves its key alone', async () => {
    const code = await issue();
    const enrolled = await enroll(code.code);
    const refused = await asAdmin('POST', `/admin/v1/enrollment-codes/${code.id}/cancel`);
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: 'conflict', state: 'used' });
    expect(refused.body.detail).toContain(enrolled.body.key.id);
    const keys = (await asAdmin('GET', `/admin/v1/consumers/${consumerId}/keys`)).body.items as Array<{ id: string; status: string }>;
    expect(keys.find((k) => k.id === enrolled.body.key.id)?.status).toBe('active');
  });

  it('answers 404 for an unknown consumer or code id', async () => {
    for (const [method, path] of [
      ['GET', '/admin/v1/consumers/con_nope/enrollment-codes'],
      ['POST', '/admin/v1/enrollment-codes/enc_nope/cancel'],
    ] as const) {
      const answer = await asAdmin(method, path);
      expect(answer.status, `${method} ${path}`).toBe(404);
      expect(answer.body.code).toBe('not_found');
    }
  });

  it('names a bad state, limit, cursor or unknown query parameter', async () => {
    const base = `/admin/v1/consumers/${consumerId}/enrollment-codes`;
    for (const [query, path] of [
      ['state=lost', 'state'],
      ['limit=0', 'limit'],
      ['cursor=nope', 'cursor'],
      ['colour=red', 'colour'],
    ]) {
      const answer = await asAdmin('GET', `${base}?${query}`);
      expect(answer.status, query).toBe(400);
      expect(
        answer.body.errors.map((e: { path: string }) => e.path),
        query,
      ).toContain(path);
    }
  });

  it('needs the admin scope to list or cancel codes', async () => {
    const code = await issue();
    const outsider = await h.addConsumer('outsider', { scopes: ['keys'] });
    for (const [method, path] of [
      ['GET', `/admin/v1/consumers/${consumerId}/enrollment-codes`],
      ['POST', `/admin/v1/enrollment-codes/${code.id}/cancel`],
    ] as const) {
      const answer = await call({ method, path, pair: outsider.pair, kid: outsider.kid });
      expect(answer.status, path).toBe(403);
      expect(answer.body.code).toBe('insufficient_scope');
    }
    expect((await enroll(code.code)).status).toBe(201);
  });
});
