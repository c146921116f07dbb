import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { decodeBase64url, encodeBase64url } from '../../src/protocol/base64url.js';
import { publicKeyToJwk, publicKeyToPem } from '../../src/protocol/public-key.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { claimsFor, craftToken, ed25519Signer, headerFor, hmacSigner, segment } from '../helpers/tokens.js';

type Consumer = Awaited<ReturnType<Harness['addConsumer']>>;

/** The order of the Ed25519 group: a signature with S + L in place of S is the classic malleation. */
const L = 2n ** 252n + 27742317777372353535851937790883648493n;

function malleate(signature: Uint8Array): Uint8Array {
  const s = signature.slice(32);
  let value = 0n;
  for (let i = 31; i >= 0; i--) value = (value << 8n) | BigInt(s[i]!);
  value += L;
  const out = signature.slice();
  for (let i = 0; i < 32; i++) out[32 + i] = Number((value >> BigInt(8 * i)) & 0xffn);
  return out;
}

function withoutVolatile(body: Record<string, unknown>): Record<string, unknown> {
  const { request_id: _id, server_time: _time, ...rest } = body;
  return rest;
}

describe('hostile tokens over HTTP', () => {
  let h: Harness;
  let alice: Consumer;
  let findKey: ReturnType<typeof vi.spyOn>;
  beforeAll(async () => {
    h = await startHarness();
    alice = await h.addConsumer('alice');
    findKey = vi.spyOn(h.stores.credentials, 'findKey');
  });
  afterAll(async () => h.close());

  const get = (authorization: string | undefined, path = '/v1/whoami') => fetch(h.baseUrl + path, { headers: authorization === undefined ? {} : { Authorization: authorization } });
  const claims = (overrides: Record<string, unknown> = {}) => claimsFor(h.origin, h.clock.now(), overrides);
  const signed = (header: string | object, payload: string | object = claims()) => craftToken(header, payload, ed25519Signer(alice.pair.privateKey));

  /** Sends a pre-signature failure and returns its body; asserts the common shape of all of them. */
  async function refused(authorization: string): Promise<Record<string, unknown>> {
    const before = h.stores.replay.size();
    const response = await get(authorization);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Signet realm="signet", error="invalid_token"');
    const body = (await response.json()) as Record<string, unknown>;
    expect(body.code).toBe('invalid_token');
    expect(h.stores.replay.size()).toBe(before);
    return body;
  }

  it('accepts a hand-made token with alg EdDSA and with alg Ed25519 (RFC 9864)', async () => {
    expect((await get(`Signet ${await signed(headerFor(alice.kid, 'EdDSA'))}`)).status).toBe(200);
    expect((await get(`Signet ${await signed(headerFor(alice.kid, 'Ed25519'))}`)).status).toBe(200);
  });

  it('refuses a request without Authorization with 401 missing_token and a WWW-Authenticate challenge', async () => {
    const response = await get(undefined);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Signet realm="signet", error="missing_token"');
    const body = await response.json();
    expect(body).toMatchObject({ code: 'missing_token', status: 401 });
    expect(body.detail).toMatch(/Authorization: Signet/);
  });

  it('refuses other schemes and a scheme without a token', async () => {
    const token = await signed(headerFor(alice.kid));
    for (const value of [`Bearer ${token}`, `Basic ${token}`, token, 'Signet', 'Signet ', `Signet:${token}`, `SignetX ${token}`]) {
      await refused(value);
    }
  });

  it('refuses alg none in every spelling, with or without a signature', async () => {
    for (const alg of ['none', 'None', 'NONE', 'nOnE', '']) {
      const header = segment(JSON.stringify(headerFor(alice.kid, alg)));
      const payload = segment(JSON.stringify(claims()));
      await refused(`Signet ${header}.${payload}.`);
      await refused(`Signet ${header}.${payload}.${encodeBase64url(new Uint8Array(64))}`);
      await refused(`Signet ${await signed(headerFor(alice.kid, alg))}`);
    }
  });

  it('refuses a header without alg', async () => {
    await refused(`Signet ${await signed({ kid: alice.kid, typ: 'signet+jwt' })}`);
  });

  it('refuses algorithms outside the key type, however the token is signed', async () => {
    for (const alg of ['RS256', 'ES256', 'PS256', 'HS512', 'EdDSA ', 'eddsa', 'ED25519', 'Ed448']) {
      await refused(`Signet ${await signed(headerFor(alice.kid, alg))}`);
    }
  });

  it('refuses HS256 MACs keyed with the Ed25519 public key (raw bytes, PEM, JWK x, JWK text)', async () => {
    const raw = alice.pair.publicKey;
    const jwk = publicKeyToJwk(raw);
    const secrets = [raw, new TextEncoder().encode(publicKeyToPem(raw)), new TextEncoder().encode(jwk.x), new TextEncoder().encode(JSON.stringify(jwk))];
    for (const secret of secrets) {
      await refused(`Signet ${await craftToken(headerFor(alice.kid, 'HS256'), claims(), hmacSigner(secret))}`);
    }
  });

  it('refuses kid injection strings without any of them reaching the database', async () => {
    findKey.mockClear();
    const kids = [
      "key_x' OR '1'='1",
      'key_x"; DROP TABLE keys; --',
      '../../../../etc/passwd',
      '..\\..\\windows\\win.ini',
      'key_\u0000AAAAAAAAAAAAAAAAAAAAA',
      '%00',
      'key_' + 'A'.repeat(10_000),
      'key_AAAAAAAAAAAAAAAAAAAAAA\n',
      '${jndi:ldap://x}',
      'key_AAAAAAAAAAAAAAAAAAAAA*',
      '__proto__',
      'constructor',
    ];
    for (const kid of kids) await refused(`Signet ${await signed({ alg: 'EdDSA', kid, typ: 'signet+jwt' })}`);
    expect(findKey).not.toHaveBeenCalled();
  });

  it('asks the database once for an unknown kid sent again and again (negative cache)', async () => {
    findKey.mockClear();
    const unknown = 'key_Unknown0000000000000000'.slice(0, 26);
    expect(unknown).toMatch(/^key_[0-9A-Za-z]{22}$/);
    for (let i = 0; i < 20; i++) await refused(`Signet ${await signed(headerFor(unknown))}`);
    expect(findKey).toHaveBeenCalledTimes(1);
  });

  it(`refuses an oversize token before decoding it`, async () => {
    const token = await signed(headerFor(alice.kid), { ...claims(), pad: 'x'.repeat(7000) });
    expect(token.length).toBeGreaterThan(8192);
    await refused(`Signet ${token}`);
  });

  it('refuses duplicate header members even when the token is otherwise correctly signed', async () => {
    await refused(`Signet ${await signed(`{"alg":"EdDSA","kid":"${alice.kid}","typ":"signet+jwt","alg":"EdDSA"}`)}`);
    await refused(`Signet ${await signed(`{"alg":"EdDSA","kid":"${alice.kid}","typ":"signet+jwt","kid":"${alice.kid}"}`)}`);
    await refused(`Signet ${await signed(`{"alg":"none","alg":"EdDSA","kid":"${alice.kid}","typ":"signet+jwt"}`)}`);
  });

  it('refuses header members that would let the token choose its own key', async () => {
    const jwk = publicKeyToJwk(alice.pair.publicKey);
    for (const extra of [{ jwk }, { jku: 'https://evil.example/jwks' }, { x5u: 'https://evil.example/cert' }, { x5c: ['MII='] }, { crit: ['b64'], b64: false }]) {
      await refused(`Signet ${await signed({ ...headerFor(alice.kid), ...extra })}`);
    }
  });

  it('refuses non-canonical base64url spellings of a valid token and does not consume its jti', async () => {
    const token = await signed(headerFor(alice.kid));
    const [h64, p64, s64] = token.split('.') as [string, string, string];
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const respelt = s64.slice(0, -1) + alphabet[alphabet.indexOf(s64.at(-1)!) + 1];
    expect(decodeBase64url(h64)).toBeDefined();
    await refused(`Signet ${h64}.${p64}.${respelt}`);
    await refused(`Signet ${h64}.${p64}.${s64}==`);
    await refused(`Signet ${h64}.${p64}.${s64.replace(/-/g, '+').replace(/_/g, '/')}${/[-_]/.test(s64) ? '' : '+'}`);
    await refused(`Signet ${h64} .${p64}.${s64}`);
    expect((await get(`Signet ${token}`)).status).toBe(200);
  });

  it('refuses a malleated signature (S + L), so one signature has one spelling', async () => {
    const token = await signed(headerFor(alice.kid));
    const [h64, p64, s64] = token.split('.') as [string, string, string];
    await refused(`Signet ${h64}.${p64}.${encodeBase64url(malleate(decodeBase64url(s64)))}`);
    expect((await get(`Signet ${token}`)).status).toBe(200);
  });

  it('refuses signatures of the wrong length and a signature by another key', async () => {
    const token = await signed(headerFor(alice.kid));
    const [h64, p64, s64] = token.split('.') as [string, string, string];
    const sig = decodeBase64url(s64);
    await refused(`Signet ${h64}.${p64}.${encodeBase64url(sig.slice(0, 63))}`);
    await refused(`Signet ${h64}.${p64}.${encodeBase64url(Uint8Array.from([...sig, 0]))}`);
    const mallory = await h.addConsumer('mallory');
    await refused(`Signet ${await craftToken(headerFor(alice.kid), claims(), ed25519Signer(mallory.pair.privateKey))}`);
  });

  it('gives every failure before the signature verified the same answer, apart from request_id and server_time', async () => {
    const token = await signed(headerFor(alice.kid));
    const [h64, p64] = token.split('.') as [string, string, string];
    const attempts = [
      'Signet x',
      'Bearer abc',
      `Signet ${h64}.${p64}`,
      `Signet ${await signed(headerFor('key_0000000000000000000000'))}`,
      `Signet ${await signed(headerFor(alice.kid, 'none'))}`,
      `Signet ${await craftToken(headerFor(alice.kid, 'HS256'), claims(), hmacSigner(alice.pair.publicKey))}`,
      `Signet ${await signed({ ...headerFor(alice.kid), jwk: publicKeyToJwk(alice.pair.publicKey) })}`,
      `Signet ${await signed({ alg: 'EdDSA', kid: "' OR 1=1 --", typ: 'signet+jwt' })}`,
      `Signet ${'A'.repeat(9000)}.${p64}.x`,
      `Signet ${h64}.${p64}.${encodeBase64url(new Uint8Array(64))}`,
      `Signet ${await signed(`{"alg":"EdDSA","alg":"EdDSA","kid":"${alice.kid}","typ":"signet+jwt"}`)}`,
    ];
    const bodies = [];
    for (const attempt of attempts) bodies.push(withoutVolatile(await refused(attempt)));
    for (const body of bodies) expect(body).toEqual(bodies[0]);
    expect(Object.keys(bodies[0]!).sort()).toEqual(['code', 'detail', 'status', 'title', 'type']);
  });
});
