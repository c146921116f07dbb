import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newJti, newKeyId } from '../../src/protocol/ids.js';
import { startHarness, T0, type Harness, type TestConsumer, withAlice } from '../helpers/harness.js';
import { claimsFor, craftToken, ed25519Signer, headerFor } from '../helpers/tokens.js';

const sha = (text: string) => createHash('sha256').update(text).digest('base64url');

async function problem(response: Response): Promise<Record<string, unknown>> {
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  return (await response.json()) as Record<string, unknown>;
}

describe('requests whose signed binding differs from the request received', () => {
  let h: Harness;
  let alice: TestConsumer;
  withAlice((started) => ({ h, alice } = started));

  it('accepts the untampered POST and echoes the exact body', async () => {
    const response = await h.send({ method: 'POST', path: '/v1/echo', body: '{"a":1}', pair: alice.pair, kid: alice.kid });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ body: '{"a":1}', body_sha256: sha('{"a":1}'), length: 7 });
  });

  it('refuses a tampered body and shows both hashes', async () => {
    const response = await h.send({ method: 'POST', path: '/v1/echo', body: '{"a":2}', signed: { body: '{"a":1}' }, pair: alice.pair, kid: alice.kid });
    expect(response.status).toBe(401);
    const body = await problem(response);
    expect(body.code).toBe('binding_mismatch');
    expect(body.mismatches).toEqual([{ claim: 'body_sha256', expected: sha('{"a":2}'), received: sha('{"a":1}') }]);
  });

  it('refuses a body that was signed but not sent', async () => {
    const response = await h.send({ method: 'POST', path: '/v1/echo', signed: { body: 'x' }, pair: alice.pair, kid: alice.kid });
    expect((await problem(response)).mismatches).toEqual([{ claim: 'body_sha256', expected: sha(''), received: sha('x') }]);
  });

  it('refuses a tampered method', async () => {
    const response = await h.send({ method: 'POST', path: '/v1/echo', body: 'x', signed: { method: 'PUT' }, pair: alice.pair, kid: alice.kid });
    const body = await problem(response);
    expect(body.code).toBe('binding_mismatch');
    expect(body.mismatches).toEqual([{ claim: 'method', expected: 'POST', received: 'PUT' }]);
  });

  it('refuses a tampered path', async () => {
    const signedUrl = `${h.origin}/v1/echo/admin`;
    const response = await h.send({ method: 'POST', path: '/v1/echo', body: 'x', signed: { url: signedUrl }, pair: alice.pair, kid: alice.kid });
    const body = await problem(response);
    expect(body.code).toBe('binding_mismatch');
    expect(body.mismatches).toEqual([{ claim: 'url', expected: `${h.origin}/v1/echo`, received: signedUrl }]);
  });

  it('refuses a tampered query, an added query and a removed query', async () => {
    const cases: Array<[string, string]> = [
      ['/v1/whoami?a=2', '/v1/whoami?a=1'],
      ['/v1/whoami?a=1&admin=1', '/v1/whoami?a=1'],
      ['/v1/whoami', '/v1/whoami?a=1'],
      ['/v1/whoami?b=1&a=1', '/v1/whoami?a=1&b=1'],
    ];
    for (const [sent, signedPath] of cases) {
      const response = await h.send({ method: 'GET', path: sent, signed: { url: h.origin + signedPath }, pair: alice.pair, kid: alice.kid });
      const body = await problem(response);
      expect(body.code, sent).toBe('binding_mismatch');
      expect(body.mismatches).toEqual([{ claim: 'url', expected: h.origin + sent, received: h.origin + signedPath }]);
    }
  });

  it('binds HEAD as HEAD: a HEAD signed as HEAD passes, a GET token sent as HEAD does not', async () => {
    expect((await h.send({ method: 'HEAD', path: '/v1/whoami', pair: alice.pair, kid: alice.kid })).status).toBe(200);
    const response = await h.send({ method: 'HEAD', path: '/v1/whoami', signed: { method: 'GET' }, pair: alice.pair, kid: alice.kid });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('binding_mismatch');
  });

  it('lists every binding that differs at once', async () => {
    const response = await h.send({
      method: 'POST',
      path: '/v1/echo',
      body: 'b',
      pair: alice.pair,
      kid: alice.kid,
      signed: { method: 'PATCH', url: h.origin + '/v1/other', body: 'a' },
    });
    const body = await problem(response);
    expect((body.mismatches as Array<{ claim: string }>).map((m) => m.claim)).toEqual(['method', 'url', 'body_sha256']);
  });

  it('accepts percent-escape case, a default port and a trailing ? as the same URL', async () => {
    const response = await h.send({ method: 'GET', path: '/v1/whoami?q=%2f', signed: { url: 'HTTPS://API.EXAMPLE.TEST:443/v1/whoami?q=%2F' }, pair: alice.pair, kid: alice.kid });
    expect(response.status).toBe(200);
    const trailing = await h.send({ method: 'GET', path: '/v1/whoami?', pair: alice.pair, kid: alice.kid });
    expect(trailing.status).toBe(200);
  });

  it('binds to the configured public origin, never to the Host header', async () => {
    const withForeignHost = await h.send({ method: 'GET', path: '/v1/whoami', headers: { Host: 'evil.example', 'X-Forwarded-Host': 'evil.example' }, pair: alice.pair, kid: alice.kid });
    expect(withForeignHost.status).toBe(200);
    const signedForSocket = await h.send({ method: 'GET', path: '/v1/whoami', signed: { url: h.baseUrl + '/v1/whoami', audience: h.origin }, pair: alice.pair, kid: alice.kid });
    const body = await problem(signedForSocket);
    expect(body.mismatches).toEqual([{ claim: 'url', expected: h.origin + '/v1/whoami', received: h.baseUrl + '/v1/whoami' }]);
  });

  it('refuses a token made for another audience and names both', async () => {
    const response = await h.send({ method: 'GET', path: '/v1/whoami', signed: { audience: 'https://other.example' }, pair: alice.pair, kid: alice.kid });
    expect(response.status).toBe(401);
    const body = await problem(response);
    expect(body.code).toBe('audience_mismatch');
    expect(body.mismatches).toEqual([{ claim: 'aud', expected: h.origin, received: 'https://other.example' }]);
  });
});

describe('time checks, with the default 60 s lifetime and 60 s skew', () => {
  let h: Harness;
  let alice: TestConsumer;
  withAlice((started) => ({ h, alice } = started));
  const at = (ms: number) => h.clock.set(ms);

  it('accepts a token up to exp + skew and refuses it one second later as expired', async () => {
    at(T0);
    const lastGood = await h.sign({ method: 'GET', path: '/v1/whoami', pair: alice.pair, kid: alice.kid });
    const late = await h.sign({ method: 'GET', path: '/v1/whoami', pair: alice.pair, kid: alice.kid });
    at(T0 + 120_999);
    expect((await fetch(h.baseUrl + '/v1/whoami', { headers: { Authorization: lastGood } })).status).toBe(200);
    at(T0 + 121_000);
    const response = await fetch(h.baseUrl + '/v1/whoami', { headers: { Authorization: late } });
    expect(response.status).toBe(401);
    const body = await problem(response);
    expect(body).toMatchObject({ code: 'token_expired', iat: T0 / 1000, exp: T0 / 1000 + 60, server_time: T0 / 1000 + 121 });
    expect(body.detail).toMatch(/expired/);
  });

  it('accepts iat up to skew in the future and refuses more', async () => {
    at(T0);
    const ok = await h.send({ method: 'GET', path: '/v1/whoami', signed: { now: T0 + 60_999 }, pair: alice.pair, kid: alice.kid });
    expect(ok.status).toBe(200);
    const response = await h.send({ method: 'GET', path: '/v1/whoami', signed: { now: T0 + 61_000 }, pair: alice.pair, kid: alice.kid });
    expect(response.status).toBe(401);
    expect(await problem(response)).toMatchObject({ code: 'token_issued_in_future', iat: T0 / 1000 + 61 });
  });

  it('accepts the configured maximum lifetime and refuses one second more', async () => {
    at(T0);
    expect((await h.send({ method: 'GET', path: '/v1/whoami', signed: { lifetimeSeconds: 60 }, pair: alice.pair, kid: alice.kid })).status).toBe(200);
    const response = await h.send({ method: 'GET', path: '/v1/whoami', signed: { lifetimeSeconds: 61 }, pair: alice.pair, kid: alice.kid });
    expect(response.status).toBe(401);
    expect(await problem(response)).toMatchObject({ code: 'token_lifetime_too_long', max_lifetime: 60 });
  });

  it('refuses exp at or before iat as a lifetime error', async () => {
    at(T0);
    const sign = ed25519Signer(alice.pair.privateKey);
    for (const delta of [0, -10]) {
      const claims = claimsFor(h.origin, T0);
      const token = await craftToken(headerFor(alice.kid), { ...claims, exp: (claims.iat as number) + delta }, sign);
      const response = await fetch(h.baseUrl + '/v1/whoami', { headers: { Authorization: `Signet ${token}` } });
      expect(await problem(response)).toMatchObject({ code: 'token_lifetime_too_long' });
    }
  });

  it('refuses a lifetime above 300 s even if every other claim is right', async () => {
    at(T0);
    const claims = claimsFor(h.origin, T0);
    const token = await craftToken(headerFor(alice.kid), { ...claims, exp: (claims.iat as number) + 86_400 }, ed25519Signer(alice.pair.privateKey));
    const response = await fetch(h.baseUrl + '/v1/whoami', { headers: { Authorization: `Signet ${token}` } });
    expect(await problem(response)).toMatchObject({ code: 'token_lifetime_too_long' });
  });
});

describe('replay', () => {
  let h: Harness;
  let alice: TestConsumer;
  withAlice((started) => ({ h, alice } = started));

  it('lets exactly one of 50 concurrent copies of one token through', async () => {
    const authorization = await h.sign({ method: 'GET', path: '/v1/whoami', pair: alice.pair, kid: alice.kid });
    const responses = await Promise.all(Array.from({ length: 50 }, () => fetch(h.baseUrl + '/v1/whoami', { headers: { Authorization: authorization } })));
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 401)).toHaveLength(49);
    const codes = await Promise.all(responses.filter((r) => r.status === 401).map(async (r) => (await r.json()).code));
    expect(new Set(codes)).toEqual(new Set(['token_replayed']));
  });

  it('refuses a used token as a replay up to its last valid instant (exp + skew), then as expired', async () => {
    const authorization = await h.sign({ method: 'GET', path: '/v1/whoami', pair: alice.pair, kid: alice.kid });
    const send = () => fetch(h.baseUrl + '/v1/whoami', { headers: { Authorization: authorization } });
    expect((await send()).status).toBe(200);
    for (const advance of [1_000, 60_000, 59_999]) {
      h.clock.advance(advance);
      expect((await send().then((r) => r.json())).code).toBe('token_replayed');
    }
    h.clock.advance(600_000);
    expect((await send().then((r) => r.json())).code).toBe('token_expired');
  });

  it('counts a jti per key: the same jti under two keys is two tokens', async () => {
    const bob = await h.addConsumer('bob');
    const jti = newJti();
    const a = await h.send({ method: 'GET', path: '/v1/whoami', signed: { jti }, pair: alice.pair, kid: alice.kid });
    const b = await h.send({ method: 'GET', path: '/v1/whoami', signed: { jti }, pair: bob.pair, kid: bob.kid });
    expect([a.status, b.status]).toEqual([200, 200]);
  });

  it('refuses the same jti in a freshly signed token for another request', async () => {
    const jti = newJti();
    expect((await h.send({ method: 'GET', path: '/v1/whoami', signed: { jti }, pair: alice.pair, kid: alice.kid })).status).toBe(200);
    const again = await h.send({ method: 'POST', path: '/v1/echo', body: 'x', signed: { jti }, pair: alice.pair, kid: alice.kid });
    expect((await problem(again)).code).toBe('token_replayed');
  });
});

describe('key and consumer state', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h.close());

  it('refuses a revoked key at once after revocation and cache invalidation', async () => {
    const { pair, kid } = await h.addConsumer();
    expect((await h.send({ method: 'GET', path: '/v1/whoami', pair, kid })).status).toBe(200);
    expect(await h.stores.credentials.revokeKey(kid, h.clock.now())).toBe(true);
    h.signet.keyCache.invalidate(kid);
    const response = await h.send({ method: 'GET', path: '/v1/whoami', pair, kid });
    expect(response.status).toBe(401);
    expect(await problem(response)).toMatchObject({ code: 'key_revoked' });
    expect(response.headers.get('www-authenticate')).toBe('Signet realm="signet", error="key_revoked"');
  });

  it('refuses a key of a disabled consumer with 403', async () => {
    const { pair, kid, record } = await h.addConsumer();
    expect((await h.send({ method: 'GET', path: '/v1/whoami', pair, kid })).status).toBe(200);
    await h.stores.credentials.setConsumerStatus(record.consumer.id, 'disabled', h.clock.now());
    h.signet.keyCache.invalidateConsumer(record.consumer.id);
    const response = await h.send({ method: 'GET', path: '/v1/whoami', pair, kid });
    expect(response.status).toBe(403);
    expect(await problem(response)).toMatchObject({ code: 'consumer_disabled' });
  });

  it('refuses a key before its not-before time and after its expiry', async () => {
    const { pair, record } = await h.addConsumer();
    const base = { consumerId: record.consumer.id, type: 'ed25519' as const, publicKey: pair.publicKey, thumbprint: null };
    const notYetValid = newKeyId();
    const expired = newKeyId();
    await h.stores.credentials.insertKey({ ...base, id: notYetValid, notBefore: T0 + 3_600_000 }, T0);
    await h.stores.credentials.insertKey({ ...base, id: expired, expiresAt: T0 }, T0);
    const early = await h.send({ method: 'GET', path: '/v1/whoami', pair, kid: notYetValid });
    expect(await problem(early)).toMatchObject({ code: 'key_not_yet_valid' });
    const late = await h.send({ method: 'GET', path: '/v1/whoami', pair, kid: expired });
    expect(await problem(late)).toMatchObject({ code: 'key_expired' });
  });

  it('refuses an unknown kid exactly like a bad signature', async () => {
    const { pair } = await h.addConsumer();
    const response = await h.send({ method: 'GET', path: '/v1/whoami', pair, kid: 'key_0000000000000000000000' });
    expect(await problem(response)).toMatchObject({ code: 'invalid_token', detail: 'The request signature could not be verified.' });
  });

  it("refuses a token signed by another consumer's key under this kid", async () => {
    const victim = await h.addConsumer('victim');
    const attacker = await h.addConsumer('attacker');
    const response = await h.send({ method: 'GET', path: '/v1/whoami', pair: attacker.pair, kid: victim.kid });
    expect(await problem(response)).toMatchObject({ code: 'invalid_token' });
  });
});

describe('the replay store on failure', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h.close());

  it('is written only by requests that pass every other check', async () => {
    const { pair, kid, record } = await h.addConsumer();
    const before = h.stores.replay.size();
    const failures = [
      h.send({ method: 'POST', path: '/v1/echo', body: 'b', signed: { body: 'a' }, pair, kid }),
      h.send({ method: 'GET', path: '/v1/whoami', signed: { audience: 'urn:other' }, pair, kid }),
      h.send({ method: 'GET', path: '/v1/whoami', signed: { lifetimeSeconds: 61 }, pair, kid }),
      h.send({ method: 'GET', path: '/v1/whoami', signed: { now: T0 + 3_600_000 }, pair, kid }),
      h.send({ method: 'GET', path: '/v1/whoami', signed: { now: T0 - 3_600_000 }, pair, kid }),
      h.send({ method: 'GET', path: '/v1/whoami', pair, kid: 'key_0000000000000000000000' }),
      fetch(h.baseUrl + '/v1/whoami', { headers: { Authorization: 'Signet a.b.c' } }),
      fetch(h.baseUrl + '/v1/whoami'),
    ];
    for (const response of await Promise.all(failures)) expect(response.status).toBe(401);
    expect(h.stores.replay.size()).toBe(before);
    await h.stores.credentials.setConsumerStatus(record.consumer.id, 'disabled', h.clock.now());
    h.signet.keyCache.invalidateConsumer(record.consumer.id);
    expect((await h.send({ method: 'GET', path: '/v1/whoami', pair, kid })).status).toBe(403);
    expect(h.stores.replay.size()).toBe(before);
  });

  it('grows by one for an accepted request', async () => {
    const { pair, kid } = await h.addConsumer();
    const before = h.stores.replay.size();
    expect((await h.send({ method: 'GET', path: '/v1/whoami', pair, kid })).status).toBe(200);
    expect(h.stores.replay.size()).toBe(before + 1);
  });
});

describe('a full replay store', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ replayCapacity: 2 });
  });
  afterAll(async () => h.close());

  it('refuses new tokens with 503 replay_store_full and still refuses the recorded ones as replays', async () => {
    const { pair, kid } = await h.addConsumer();
    const first = await h.sign({ method: 'GET', path: '/v1/whoami', pair, kid });
    expect((await fetch(h.baseUrl + '/v1/whoami', { headers: { Authorization: first } })).status).toBe(200);
    expect((await h.send({ method: 'GET', path: '/v1/whoami', pair, kid })).status).toBe(200);
    const full = await h.send({ method: 'GET', path: '/v1/whoami', pair, kid });
    expect(full.status).toBe(503);
    expect(await problem(full)).toMatchObject({ code: 'replay_store_full' });
    const replay = await fetch(h.baseUrl + '/v1/whoami', { headers: { Authorization: first } });
    expect(await problem(replay)).toMatchObject({ code: 'token_replayed' });
    h.clock.advance(200_000);
    expect((await h.send({ method: 'GET', path: '/v1/whoami', pair, kid })).status).toBe(200);
  });
});
