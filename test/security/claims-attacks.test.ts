import { describe, expect, it } from 'vitest';
import { PRESIGN_PARAM } from '../../src/protocol/format.js';
import { signRequest } from '../../src/client/sign.js';
import { T0, type Harness, type TestConsumer, withAlice } from '../helpers/harness.js';
import { hmacConsumer, sendWith } from '../helpers/hmac.js';
import { expectRefused, getWith } from '../helpers/security.js';
import { claimsFor, craftToken, ed25519Signer, headerFor } from '../helpers/tokens.js';

/**
 * Attacks on what the claims say and how often a token is used: malformed time claims, replay
 * under concurrency (also across the header and the presigned-link parameter), and presigned-link
 * abuse. Each refusal is a 4xx with a stable code and no replay-store write.
 */

describe('attacks on the claims', () => {
  let h: Harness;
  let alice: TestConsumer;
  withAlice((started) => ({ h, alice } = started));

  const claims = (overrides: Record<string, unknown> = {}) => claimsFor(h.origin, h.clock.now(), overrides);
  const signed = (payload: string | object) => craftToken(headerFor(alice.kid), payload, ed25519Signer(alice.pair.privateKey));
  const refused = (token: string, code = 'invalid_token') => expectRefused(h, getWith(h, `Signet ${token}`), code);

  it('refuses time claims written as strings, floats, 1e308, unsafe integers, negatives, null, or missing', async () => {
    const iat = Math.floor(h.clock.now() / 1000);
    const variants: Array<[string, Record<string, unknown>]> = [
      ['iat as string', { iat: String(iat) }],
      ['exp as string', { exp: String(iat + 60) }],
      ['iat as float', { iat: iat + 0.5 }],
      ['exp as float', { exp: iat + 59.999 }],
      ['exp 1e308', { exp: 1e308 }],
      ['iat 1e308', { iat: 1e308 }],
      ['exp beyond 2^53', { exp: 2 ** 53 + 2 }],
      ['negative iat', { iat: -1 }],
      ['negative exp', { exp: -60 }],
      ['iat null', { iat: null }],
      ['exp true', { exp: true }],
      ['exp as array', { exp: [iat + 60] }],
    ];
    for (const [name, override] of variants) {
      const { body } = await refused(await signed(claims(override)));
      expect(body.detail, name).toMatch(/"(iat|exp)"/);
    }
    for (const name of ['iat', 'exp']) {
      const { [name]: _dropped, ...without } = claims();
      await refused(await signed(without));
    }
    // Spellings JSON.stringify never writes: a number too large for a double (Infinity) and -0.
    // (Exponent or ".0" spellings of an integer are the same NumericDate and are judged by value.)
    const text = JSON.stringify(claims());
    await refused(await signed(text.replace(/"exp":\d+/, `"exp":1${'0'.repeat(400)}`)));
    // -0 parses to 0, an integer: the token counts as issued in 1970, so its lifetime is refused.
    await refused(await signed(text.replace(/"iat":\d+/, '"iat":-0')), 'token_lifetime_too_long');
  });

  it('lets exactly one of 50 concurrent uses of one token through when half come in the header and half as a presigned parameter', async () => {
    const { token, authorization } = await signRequest({
      method: 'GET',
      url: `${h.origin}/v1/whoami`,
      key: { type: 'ed25519', privateKey: alice.pair.privateKey },
      kid: alice.kid,
      now: h.clock.now(),
    });
    const before = h.stores.replay.size();
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? fetch(h.baseUrl + '/v1/whoami', { headers: { Authorization: authorization } }) : fetch(`${h.baseUrl}/v1/whoami?${PRESIGN_PARAM}=${token}`))),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
    const codes = await Promise.all(responses.filter((r) => r.status !== 200).map(async (r) => ((await r.json()) as { code: string }).code));
    expect(new Set(codes)).toEqual(new Set(['token_replayed']));
    expect(h.stores.replay.size()).toBe(before + 1);
  });

  it('lets exactly one of 50 concurrent uses of one HMAC token through', async () => {
    const admin = await h.addAdmin('replay-admin');
    const client = await hmacConsumer(h, admin, 'replay-hmac');
    const { authorization } = await signRequest({
      method: 'GET',
      url: `${h.origin}/v1/whoami`,
      key: { type: 'hmac', secret: new TextEncoder().encode(client.secret) },
      kid: client.kid,
      now: h.clock.now(),
    });
    const before = h.stores.replay.size();
    const responses = await Promise.all(Array.from({ length: 50 }, () => fetch(h.baseUrl + '/v1/whoami', { headers: { Authorization: authorization } })));
    expect(responses.map((r) => r.status).filter((s) => s === 200)).toHaveLength(1);
    expect(responses.map((r) => r.status).filter((s) => s !== 200 && s !== 401)).toEqual([]);
    expect(h.stores.replay.size()).toBe(before + 1);
    // The key still works with a fresh token: the replays cost the attacker nothing but did not lock the key.
    expect((await sendWith(h, { method: 'GET', path: '/v1/whoami', key: client.secret, kid: client.kid })).status).toBe(200);
  });

  describe('presigned-link abuse', () => {
    const link = async (path: string, lifetimeSeconds = 60) => {
      const { token } = await signRequest({ method: 'GET', url: h.origin + path, key: { type: 'ed25519', privateKey: alice.pair.privateKey }, kid: alice.kid, now: h.clock.now(), lifetimeSeconds });
      return `${path}${path.includes('?') ? '&' : '?'}${PRESIGN_PARAM}=${token}`;
    };
    const open =
      (pathAndQuery: string, init: RequestInit = {}) =>
      () =>
        fetch(h.baseUrl + pathAndQuery, init);

    it('refuses a presigned link used with POST, PUT, PATCH, DELETE and HEAD', async () => {
      const admin = await h.addAdmin('presign-admin');
      const victim = await h.addConsumer('presign-victim');
      const consumerPath = `/admin/v1/consumers/${victim.record.consumer.id}`;
      // The link is signed by an admin key for a GET; no other method may ride on it.
      const { token } = await signRequest({ method: 'GET', url: h.origin + consumerPath, key: { type: 'ed25519', privateKey: admin.pair.privateKey }, kid: admin.kid, now: h.clock.now() });
      const target = `${consumerPath}?${PRESIGN_PARAM}=${token}`;
      await expectRefused(h, open(target, { method: 'DELETE' }), 'missing_token');
      await expectRefused(h, open(target, { method: 'PATCH', body: '{"name":"pwned"}', headers: { 'Content-Type': 'application/json' } }), 'missing_token');
      await expectRefused(h, open(`${await link('/v1/echo')}`, { method: 'POST', body: 'x' }), 'missing_token');
      await expectRefused(h, open(`${await link('/v1/keys')}`, { method: 'PUT', body: '{}' }), 'method_not_allowed', 405);
      const head = await fetch(h.baseUrl + (await link('/v1/whoami')), { method: 'HEAD' });
      expect(head.status).toBe(401);
      expect(head.headers.get('www-authenticate')).toContain('missing_token');
      expect((await h.send({ method: 'GET', path: consumerPath, pair: admin.pair, kid: admin.kid }).then((r) => r.json())).name).toBe('presign-victim');
    });

    it('refuses a presigned link the second time, including when re-encoded or with the parameter moved', async () => {
      const target = await link('/v1/whoami?format=json');
      expect((await fetch(h.baseUrl + target)).status).toBe(200);
      await expectRefused(h, open(target), 'token_replayed');
      const token = target.split(`${PRESIGN_PARAM}=`)[1]!;
      await expectRefused(h, open(`/v1/whoami?${PRESIGN_PARAM}=${token}&format=json`), 'token_replayed');
      await expectRefused(h, open(`/v1/whoami?format=json&${PRESIGN_PARAM}=${token}==`), 'invalid_token');
      await expectRefused(h, open(`/v1/whoami?format=json&${PRESIGN_PARAM}=${token.replace(/\./g, '%2E')}`), 'invalid_token');
    });

    it('refuses an expired presigned link', async () => {
      const target = await link('/v1/whoami', 300);
      h.clock.advance((300 + h.config.clockSkewSeconds + 1) * 1000);
      try {
        await expectRefused(h, open(target), 'token_expired');
      } finally {
        h.clock.set(T0);
      }
    });

    it('refuses a presigned link whose path, query or token was tampered with', async () => {
      const target = await link('/v1/whoami?account=1');
      await expectRefused(h, open(target.replace('account=1', 'account=2')), 'binding_mismatch');
      await expectRefused(h, open(target.replace('account=1', 'account=1&admin=1')), 'binding_mismatch');
      await expectRefused(h, open(target.replace('/v1/whoami', '/v1/keys')), 'binding_mismatch');
      await expectRefused(h, open(target.replace('/v1/whoami', '/v1//whoami')), 'not_found', 404);
      const [, token] = target.split(`${PRESIGN_PARAM}=`) as [string, string];
      const flipped = token.slice(0, 30) + (token[30] === 'A' ? 'B' : 'A') + token.slice(31);
      await expectRefused(h, open(target.replace(token, flipped)), 'invalid_token');
      expect((await fetch(h.baseUrl + target)).status).toBe(200);
    });

    it('refuses a presigned link whose parameter appears twice', async () => {
      const target = await link('/v1/whoami');
      await expectRefused(h, open(`${target}&${PRESIGN_PARAM}=anything`), 'invalid_token');
      const [, token] = target.split(`${PRESIGN_PARAM}=`) as [string, string];
      await expectRefused(h, open(`${target}&${PRESIGN_PARAM}=${token}`), 'invalid_token');
      expect((await fetch(h.baseUrl + target)).status).toBe(200);
    });

    it('refuses a presigned link living longer than 300 s, however it was signed', async () => {
      for (const lifetime of [301, 3600, 86_400 * 365]) {
        const iat = Math.floor(h.clock.now() / 1000);
        const token = await signed(claims({ exp: iat + lifetime }));
        await expectRefused(h, open(`/v1/whoami?${PRESIGN_PARAM}=${token}`), 'token_lifetime_too_long');
      }
      const iat = Math.floor(h.clock.now() / 1000);
      expect((await fetch(`${h.baseUrl}/v1/whoami?${PRESIGN_PARAM}=${await signed(claims({ exp: iat + 300 }))}`)).status).toBe(200);
    });
  });
});
