import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createSignedFetch } from '../../src/client/signed-fetch.js';
import { signRequest } from '../../src/client/sign.js';
import { generateKeyPair } from '../../src/client/keys.js';
import { parseHmacSecret } from '../../src/protocol/hmac-secret.js';
import { jwkThumbprint, publicKeyToJwk } from '../../src/protocol/public-key.js';
import { signRequest as signWithKey } from '../../src/client/sign.js';
import { parseToken } from '../../src/protocol/token.js';
import { checkSignature } from '../../src/server/verifier.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { craftToken, headerFor, hmacSigner } from '../helpers/tokens.js';
import { hmacConsumer, sendWith, setModes, type Admin } from '../helpers/hmac.js';

/** Flips one character in the middle of the payload segment. */
function tamper(token: string): string {
  const [h, p, s] = token.split('.') as [string, string, string];
  const i = Math.floor(p.length / 2);
  return `${h}.${p.slice(0, i)}${p[i] === 'A' ? 'B' : 'A'}${p.slice(i + 1)}.${s}`;
}

describe('HMAC mode over HTTP', () => {
  let h: Harness;
  let admin: Admin & { consumerId: string };
  let client: { consumerId: string; kid: string; secret: string };

  beforeAll(async () => {
    h = await startHarness();
    const created = await h.addAdmin();
    admin = { pair: created.pair, kid: created.kid, consumerId: created.record.consumer.id };
    client = await hmacConsumer(h, admin, 'legacy-device', { label: 'device 7', scopes: ['keys'] });
  });
  afterAll(async () => h.close());

  const get = (overrides: Partial<Parameters<typeof sendWith>[1]> = {}) => sendWith(h, { method: 'GET', path: '/v1/whoami', key: client.secret, kid: client.kid, ...overrides });

  it('issues a key whose secret is sgnt_hs_ with a valid checksum, shown once with Cache-Control: no-store', async () => {
    expect(() => parseHmacSecret(client.secret)).not.toThrow();
    const other = await h.send({ method: 'POST', path: `/admin/v1/consumers/${client.consumerId}/keys/hmac`, json: {}, ...admin });
    expect(other.status).toBe(201);
    expect(other.headers.get('cache-control')).toBe('no-store');
    const body = await other.json();
    expect(body.key).toMatchObject({ type: 'hmac', status: 'active', public_key: null, thumbprint: null, consumer_id: client.consumerId });
    expect(body.secret).not.toBe(client.secret);
  });

  it('never shows the secret again: key lists, the report and the audit log hold no trace of it', async () => {
    const texts = await Promise.all(
      [`/admin/v1/consumers/${client.consumerId}/keys`, '/admin/v1/keys?type=hmac&state=all', `/admin/v1/audit?consumer=${client.consumerId}`].map(async (path) => {
        const response = await h.send({ method: 'GET', path, ...admin });
        expect(response.status).toBe(200);
        return response.text();
      }),
    );
    const body = client.secret.slice(8, 51);
    for (const text of texts) {
      expect(text).not.toContain(body);
      expect(text).not.toContain('sgnt_hs_');
    }
  });

  it('verifies a GET and a POST signed with the secret string (HS256), as mode hmac', async () => {
    const response = await get();
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ key_id: client.kid, mode: 'hmac', consumer_id: client.consumerId });
    const echo = await sendWith(h, { method: 'POST', path: '/v1/echo', key: client.secret, kid: client.kid, json: { n: 1 } });
    expect(echo.status).toBe(200);
  });

  it('works through createSignedFetch given the secret string', async () => {
    const signedFetch = createSignedFetch({
      key: client.secret,
      kid: client.kid,
      now: () => h.clock.now(),
      fetch: (url, init) => fetch(url.replace(h.origin, h.baseUrl), init),
    });
    const response = await signedFetch(`${h.origin}/v1/whoami`);
    expect((await response.json()).mode).toBe('hmac');
  });

  it('refuses a tampered token as invalid_token', async () => {
    const response = await get({ mangle: tamper });
    expect(response.status).toBe(401);
    expect((await response.json()).code).toBe('invalid_token');
  });

  it('refuses a replayed token as token_replayed', async () => {
    const signed = await signRequest({ method: 'GET', url: `${h.origin}/v1/whoami`, key: client.secret, kid: client.kid, now: h.clock.now() });
    const send = () => fetch(`${h.baseUrl}/v1/whoami`, { headers: { Authorization: signed.authorization } });
    expect((await send()).status).toBe(200);
    const again = await send();
    expect(again.status).toBe(401);
    expect((await again.json()).code).toBe('token_replayed');
  });

  it('refuses a token bound to another request after verifying the MAC (binding_mismatch)', async () => {
    const response = await get({ signed: { method: 'DELETE' } });
    expect((await response.json()).code).toBe('binding_mismatch');
  });

  it('refuses a wrong algorithm: an EdDSA token under the HMAC key id, signed by any Ed25519 key', async () => {
    const stranger = await generateKeyPair();
    const response = await get({ key: stranger });
    expect(response.status).toBe(401);
    expect((await response.json()).code).toBe('invalid_token');
  });

  it('refuses a wrong key type: the HMAC secret used under an Ed25519 key id, and the Ed25519 public key as HMAC secret', async () => {
    const ed = await h.addConsumer('ed-only');
    const asEd = await get({ kid: ed.kid });
    expect((await asEd.json()).code).toBe('invalid_token');
    const confusion = await sendWith(h, { method: 'GET', path: '/v1/whoami', key: { type: 'hmac', secret: ed.pair.publicKey }, kid: ed.kid });
    expect((await confusion.json()).code).toBe('invalid_token');
    // and the Ed25519 key itself still works, so the refusals are about the type
    expect((await sendWith(h, { method: 'GET', path: '/v1/whoami', key: ed.pair, kid: ed.kid })).status).toBe(200);
  });

  it('refuses another HMAC secret under the key id (a forgery without the secret)', async () => {
    const forged = await get({ key: { type: 'hmac', secret: new TextEncoder().encode(client.secret.slice(0, -1) + (client.secret.endsWith('A') ? 'B' : 'A')) } });
    expect((await forged.json()).code).toBe('invalid_token');
  });

  it('refuses a checksum-invalid secret offline, before any request is sent', async () => {
    const typo = client.secret.slice(0, 20) + (client.secret[20] === 'x' ? 'y' : 'x') + client.secret.slice(21);
    const transport = vi.fn(async () => new Response('{}'));
    expect(() => createSignedFetch({ key: typo, kid: client.kid, fetch: transport })).toThrow(/checksum/);
    await expect(signRequest({ method: 'GET', url: `${h.origin}/v1/whoami`, key: typo, kid: client.kid })).rejects.toMatchObject({ code: 'invalid_request' });
    expect(transport).not.toHaveBeenCalled();
  });

  it('refuses secrets shorter than 32 bytes at signing, and the verifier never accepts a MAC under a short key', async () => {
    await expect(signWithKey({ method: 'GET', url: `${h.origin}/v1/whoami`, key: { type: 'hmac', secret: new Uint8Array(16) }, kid: client.kid })).rejects.toMatchObject({ code: 'invalid_request' });
    const resolved = { key: { type: 'hmac' as const }, keyObject: null } as unknown as Parameters<typeof checkSignature>[1];
    for (const length of [16, 31, 32]) {
      const secret = new Uint8Array(length).fill(9);
      const token = await craftToken(headerFor(client.kid, 'HS256'), { x: 1 }, hmacSigner(secret));
      expect(await checkSignature(parseToken(token), resolved, secret)).toBe(length >= 32);
    }
  });

  it('refuses to issue an HMAC key to a consumer that does not allow hmac (409, with the way out)', async () => {
    const plain = await h.addConsumer('ed25519-only');
    const response = await h.send({ method: 'POST', path: `/admin/v1/consumers/${plain.record.consumer.id}/keys/hmac`, json: {}, ...admin });
    expect(response.status).toBe(409);
    const problem = await response.json();
    expect(problem.code).toBe('conflict');
    expect(problem.detail).toContain('does not allow HMAC keys');
    expect(problem.detail).toContain('allowed_modes');
    expect((await h.send({ method: 'POST', path: '/admin/v1/consumers/con_nobody/keys/hmac', json: {}, ...admin })).status).toBe(404);
  });

  it('refuses HMAC tokens with 403 mode_not_allowed once hmac is removed from the consumer, and accepts them when it is back', async () => {
    await setModes(h, admin, client.consumerId, ['ed25519']);
    const refused = await get();
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ code: 'mode_not_allowed', mode: 'hmac', allowed_modes: ['ed25519'] });
    // Only after the MAC verified: a bad MAC is still the indistinct invalid_token.
    expect((await (await get({ mangle: tamper })).json()).code).toBe('invalid_token');
    await setModes(h, admin, client.consumerId, ['ed25519', 'hmac']);
    expect((await get()).status).toBe(200);
  });

  it('lets a key with the keys scope issue an HMAC key for its own consumer, within its own scopes', async () => {
    const mine = await sendWith(h, { method: 'POST', path: '/v1/keys/hmac', key: client.secret, kid: client.kid, json: { label: 'second' } });
    expect(mine.status).toBe(201);
    const issued = await mine.json();
    expect(issued.key).toMatchObject({ consumer_id: client.consumerId, scopes: ['keys'], label: 'second' });
    expect((await sendWith(h, { method: 'GET', path: '/v1/whoami', key: issued.secret, kid: issued.key.id })).status).toBe(200);
    const wider = await sendWith(h, { method: 'POST', path: '/v1/keys/hmac', key: client.secret, kid: client.kid, json: { scopes: ['admin'] } });
    expect((await wider.json()).code).toBe('insufficient_scope');
    const edOnly = await h.addConsumer('self-ed', { scopes: ['keys'] });
    const refused = await h.send({ method: 'POST', path: '/v1/keys/hmac', json: {}, pair: edOnly.pair, kid: edOnly.kid });
    expect(refused.status).toBe(409);
  });

  it('lets an HMAC client move to Ed25519 by rotating its HMAC key to an uploaded Ed25519 key', async () => {
    const mover = await hmacConsumer(h, admin, 'mover', { scopes: ['keys'] });
    const next = await generateKeyPair();
    const json = { public_key: publicKeyToJwk(next.publicKey), overlap_seconds: 60 };
    const body = JSON.stringify(json);
    const url = `${h.origin}/v1/keys/${mover.kid}/rotate`;
    const auth = await signRequest({ method: 'POST', url, body, key: mover.secret, kid: mover.kid, now: h.clock.now() });
    const proof = await signRequest({ method: 'POST', url, body, key: next, kid: await jwkThumbprint(next.publicKey), now: h.clock.now() });
    const response = await fetch(`${h.baseUrl}/v1/keys/${mover.kid}/rotate`, {
      method: 'POST',
      headers: { Authorization: auth.authorization, 'Signet-Proof': proof.token, 'Content-Type': 'application/json' },
      body,
    });
    expect(response.status).toBe(201);
    const rotated = await response.json();
    expect(rotated.key).toMatchObject({ type: 'ed25519', scopes: ['keys'] });
    expect(rotated.previous).toMatchObject({ id: mover.kid, type: 'hmac', expires_at: new Date(h.clock.now() + 60_000).toISOString() });
    // The consumer allows both modes, so both keys work during the overlap.
    expect((await sendWith(h, { method: 'GET', path: '/v1/whoami', key: next, kid: rotated.key.id })).status).toBe(200);
    expect((await sendWith(h, { method: 'GET', path: '/v1/whoami', key: mover.secret, kid: mover.kid })).status).toBe(200);
  });

  it('refuses Ed25519 keys and enrollment codes for a consumer that allows only hmac, as it refuses HMAC keys for ed25519-only ones', async () => {
    const only = await hmacConsumer(h, admin, 'hmac-only', { scopes: ['keys'] });
    await setModes(h, admin, only.consumerId, ['hmac']);
    const next = await generateKeyPair();
    const body = JSON.stringify({ public_key: publicKeyToJwk(next.publicKey) });
    const url = `${h.origin}/v1/keys`;
    const auth = await signRequest({ method: 'POST', url, body, key: only.secret, kid: only.kid, now: h.clock.now() });
    const proof = await signRequest({ method: 'POST', url, body, key: next, kid: await jwkThumbprint(next.publicKey), now: h.clock.now() });
    const added = await fetch(`${h.baseUrl}/v1/keys`, { method: 'POST', headers: { Authorization: auth.authorization, 'Signet-Proof': proof.token, 'Content-Type': 'application/json' }, body });
    expect(added.status).toBe(409);
    expect((await added.json()).detail).toContain('does not allow Ed25519 keys');
    const code = await h.send({ method: 'POST', path: `/admin/v1/consumers/${only.consumerId}/enrollment-codes`, json: {}, ...admin });
    expect(code.status).toBe(409);
    expect((await sendWith(h, { method: 'GET', path: '/v1/whoami', key: only.secret, kid: only.kid })).status).toBe(200);
  });

  it("refuses to remove the admin's own signing mode from the admin's own consumer", async () => {
    const response = await h.send({ method: 'PATCH', path: `/admin/v1/consumers/${admin.consumerId}`, json: { allowed_modes: ['hmac'] }, pair: admin.pair, kid: admin.kid });
    expect(response.status).toBe(409);
    expect((await response.json()).detail).toContain('lock you out');
    expect((await h.send({ method: 'GET', path: '/v1/whoami', pair: admin.pair, kid: admin.kid })).status).toBe(200);
  });

  it('shows the admin every HMAC key with its consumer, type and last use', async () => {
    h.clock.advance(5_000);
    expect((await get()).status).toBe(200);
    const response = await h.send({ method: 'GET', path: '/admin/v1/keys?type=hmac', ...admin });
    const report = await response.json();
    const item = report.items.find((k: { id: string }) => k.id === client.kid);
    expect(item).toMatchObject({ type: 'hmac', consumer: { id: client.consumerId, name: 'legacy-device', allowed_modes: ['ed25519', 'hmac'] } });
    expect(item.last_used_at).toBe(new Date(h.clock.now()).toISOString());
    expect(report.items.every((k: { type: string }) => k.type === 'hmac')).toBe(true);
    const listed = await (await h.send({ method: 'GET', path: `/admin/v1/consumers/${client.consumerId}/keys`, ...admin })).json();
    expect(listed.items.find((k: { id: string }) => k.id === client.kid)).toMatchObject({ type: 'hmac', last_used_at: item.last_used_at });
    const bad = await h.send({ method: 'GET', path: '/admin/v1/keys?type=rsa', ...admin });
    expect(bad.status).toBe(400);
  });

  it('pages the report and leaves revoked keys out unless asked', async () => {
    const extra = await hmacConsumer(h, admin, 'paged');
    const page1 = await (await h.send({ method: 'GET', path: '/admin/v1/keys?type=hmac&limit=1', ...admin })).json();
    expect(page1.items).toHaveLength(1);
    expect(page1.next_cursor).toEqual(expect.any(String));
    const revoke = await h.send({ method: 'POST', path: `/admin/v1/keys/${extra.kid}/revoke`, json: {}, ...admin });
    expect(revoke.status).toBe(200);
    const unrevoked = await (await h.send({ method: 'GET', path: '/admin/v1/keys?type=hmac&limit=200', ...admin })).json();
    expect(unrevoked.items.map((k: { id: string }) => k.id)).not.toContain(extra.kid);
    const all = await (await h.send({ method: 'GET', path: '/admin/v1/keys?type=hmac&state=all&limit=200', ...admin })).json();
    expect(all.items.map((k: { id: string }) => k.id)).toContain(extra.kid);
    const refused = await sendWith(h, { method: 'GET', path: '/v1/whoami', key: extra.secret, kid: extra.kid });
    expect((await refused.json()).code).toBe('key_revoked');
  });

  it('deletes the encrypted secrets with their consumer', async () => {
    const doomed = await hmacConsumer(h, admin, 'doomed');
    expect(await h.stores.hmacSecrets.find(doomed.kid)).toBeDefined();
    expect((await h.send({ method: 'DELETE', path: `/admin/v1/consumers/${doomed.consumerId}`, ...admin })).status).toBe(204);
    expect(await h.stores.hmacSecrets.find(doomed.kid)).toBeUndefined();
  });
});
