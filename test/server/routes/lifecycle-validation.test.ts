import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportPrivateKey, generateKeyPair, type Ed25519KeyPair } from '../../../src/client/keys.js';
import { PROOF_HEADER } from '../../../src/protocol/format.js';
import { jwkThumbprint, publicKeyToJwk } from '../../../src/protocol/public-key.js';
import { signRequest } from '../../../src/client/sign.js';
import { readAnswer, startHarness, type Harness, type SignedCall } from '../../helpers/harness.js';

describe('lifecycle API input checking', () => {
  let h: Harness;
  let admin: { pair: Ed25519KeyPair; kid: string };

  const call = async (request: SignedCall) => readAnswer(await h.send(request));
  const asAdmin = (method: string, path: string, json?: unknown, body?: string) => call({ method, path, json, body, ...admin });
  const paths = (answer: { body: { errors?: Array<{ path: string }> } }) => answer.body.errors?.map((e) => e.path).sort();

  beforeAll(async () => {
    h = await startHarness();
    admin = await h.addAdmin();
  });
  afterAll(async () => h?.close());

  it('names every bad field of a body by its path, unknown fields included', async () => {
    const answer = await asAdmin('POST', '/admin/v1/consumers', { name: '', metadata: { 'bad key!': 1, ok: { nested: true } }, allowed_modes: ['rsa'], colour: 'red' });
    expect(answer.status).toBe(400);
    expect(answer.body.code).toBe('invalid_request');
    expect(paths(answer)).toEqual(['allowed_modes.0', 'colour', 'metadata.bad key!', 'metadata.ok', 'name']);
    expect(answer.body.detail).toMatch(/^The request body is invalid: /);
  });

  it('refuses a body that is not strict JSON, with the body itself as the path', async () => {
    for (const body of ['{"name": ', '{"name":"a","name":"b"}', '\u00ff']) {
      const answer = await asAdmin('POST', '/admin/v1/consumers', undefined, body);
      expect(answer.status, body).toBe(400);
      expect(answer.body.errors, body).toEqual([{ path: '', message: expect.any(String) }]);
    }
  });

  it('names bad query parameters, unknown ones included', async () => {
    const answer = await asAdmin('GET', '/admin/v1/consumers?limit=abc&status=gone&colour=red');
    expect(answer.status).toBe(400);
    expect(paths(answer)).toEqual(['colour', 'limit', 'status']);
    const cursor = await asAdmin('GET', '/admin/v1/consumers?cursor=not-a-cursor');
    expect(paths(cursor)).toEqual(['cursor']);
    const since = await asAdmin('GET', '/admin/v1/audit?since=yesterday');
    expect(paths(since)).toEqual(['since']);
  });

  it('bounds the enrollment-code lifetime and rotation overlap to 30 days', async () => {
    const created = await asAdmin('POST', '/admin/v1/consumers', { name: 'bounds' });
    const ttl = await asAdmin('POST', `/admin/v1/consumers/${created.body.id}/enrollment-codes`, { ttl_seconds: 31 * 24 * 3600 });
    expect(paths(ttl)).toEqual(['ttl_seconds']);
    const overlap = await call({ method: 'POST', path: `/v1/keys/${admin.kid}/rotate`, json: { public_key: 'x', overlap_seconds: -1 }, ...admin });
    expect(paths(overlap)).toEqual(['overlap_seconds']);
  });

  it('refuses private-key material as a public key, naming the field', async () => {
    const fresh = await generateKeyPair();
    const privateJwk = JSON.parse(await exportPrivateKey(fresh, 'jwk'));
    const answer = await call({ method: 'POST', path: '/v1/keys', json: { public_key: privateJwk }, ...admin, proof: fresh });
    expect(answer.status).toBe(400);
    expect(answer.body.code).toBe('invalid_public_key');
    expect(paths(answer)).toEqual(['public_key']);
  });

  it('asks for at least one field in an update and records the change before and after', async () => {
    const created = await asAdmin('POST', '/admin/v1/consumers', { name: 'patchable', plan: 'free' });
    const empty = await asAdmin('PATCH', `/admin/v1/consumers/${created.body.id}`, {});
    expect(empty.status).toBe(400);
    const patched = await asAdmin('PATCH', `/admin/v1/consumers/${created.body.id}`, { plan: null, metadata: { region: 'eu' } });
    expect(patched.body).toMatchObject({ name: 'patchable', plan: null, metadata: { region: 'eu' } });
    const audit = await asAdmin('GET', `/admin/v1/audit?target=${created.body.id}&action=consumer.update`);
    expect(audit.body.items[0]).toMatchObject({ before: { plan: 'free', metadata: {} }, after: { plan: null, metadata: { region: 'eu' } } });
  });

  it("answers 404 for unknown consumers and keys, and for another consumer's key", async () => {
    for (const [method, path] of [
      ['GET', '/admin/v1/consumers/con_nope'],
      ['PATCH', '/admin/v1/consumers/con_nope'],
      ['POST', '/admin/v1/consumers/con_nope/disable'],
      ['POST', '/admin/v1/consumers/con_nope/enable'],
      ['DELETE', '/admin/v1/consumers/con_nope'],
      ['GET', '/admin/v1/consumers/con_nope/keys'],
      ['POST', '/admin/v1/consumers/con_nope/enrollment-codes'],
      ['POST', '/admin/v1/keys/key_nope/revoke'],
    ] as const) {
      const answer = await asAdmin(method, path, method === 'PATCH' ? { name: 'x' } : undefined);
      expect(answer.status, `${method} ${path}`).toBe(404);
      expect(answer.body.code).toBe('not_found');
    }
    const other = await h.addConsumer('other', { scopes: ['keys'] });
    const foreign = await call({ method: 'POST', path: `/v1/keys/${other.kid}/revoke`, ...admin });
    expect(foreign.status).toBe(404);
    expect((await call({ method: 'GET', path: '/v1/whoami', pair: other.pair, kid: other.kid })).status).toBe(200);
  });

  it('pages through consumers with a cursor and filters them by status and plan', async () => {
    for (const name of ['p1', 'p2', 'p3']) {
      h.clock.advance(1);
      await asAdmin('POST', '/admin/v1/consumers', { name, plan: 'metered' });
    }
    const first = await asAdmin('GET', '/admin/v1/consumers?plan=metered&limit=2');
    expect(first.body.items.map((c: { name: string }) => c.name)).toEqual(['p1', 'p2']);
    const second = await asAdmin('GET', `/admin/v1/consumers?plan=metered&limit=2&cursor=${first.body.next_cursor}`);
    expect(second.body).toMatchObject({ items: [{ name: 'p3' }], next_cursor: null });
    await asAdmin('POST', `/admin/v1/consumers/${second.body.items[0].id}/disable`);
    const disabled = await asAdmin('GET', '/admin/v1/consumers?plan=metered&status=disabled');
    expect(disabled.body.items.map((c: { name: string }) => c.name)).toEqual(['p3']);
  });

  it('refuses a proof whose kid is not the uploaded key, a proof signed by another key, and a proof used twice', async () => {
    const created = await asAdmin('POST', '/admin/v1/consumers', { name: 'proofs' });
    const code = (await asAdmin('POST', `/admin/v1/consumers/${created.body.id}/enrollment-codes`)).body.code;
    const fresh = await generateKeyPair();
    const body = JSON.stringify({ code: 'signet_enroll_unknown', public_key: publicKeyToJwk(fresh.publicKey) });
    const proof = await signRequest({ method: 'POST', url: h.origin + '/v1/enroll', body, key: { type: 'ed25519', privateKey: fresh.privateKey }, kid: 'not-the-thumbprint', now: h.clock.now() });
    const send = (token: string, payload: string) => fetch(h.baseUrl + '/v1/enroll', { method: 'POST', body: payload, headers: { [PROOF_HEADER]: token } });
    const wrongKid = await send(proof.token, body);
    expect(wrongKid.status).toBe(401);
    expect((await wrongKid.json()).code).toBe('invalid_proof');

    const good = JSON.stringify({ code, public_key: publicKeyToJwk(fresh.publicKey) });
    // The right kid (the uploaded key's thumbprint) but a signature by another key.
    const impostor = await generateKeyPair();
    const forged = await signRequest({
      method: 'POST',
      url: h.origin + '/v1/enroll',
      body: good,
      key: { type: 'ed25519', privateKey: impostor.privateKey },
      kid: await jwkThumbprint(fresh.publicKey),
      now: h.clock.now(),
    });
    const badSignature = await send(forged.token, good);
    expect(badSignature.status).toBe(401);
    expect((await badSignature.json()).code).toBe('invalid_proof');

    const signed = await signRequest({
      method: 'POST',
      url: h.origin + '/v1/enroll',
      body: good,
      key: { type: 'ed25519', privateKey: fresh.privateKey },
      kid: await jwkThumbprint(fresh.publicKey),
      now: h.clock.now(),
    });
    expect((await send(signed.token, good)).status).toBe(201);
    const replayed = await send(signed.token, good);
    expect(replayed.status).toBe(401);
    expect(await replayed.json()).toMatchObject({ code: 'token_replayed', token: 'proof' });
  });
});
