import { createHash, createHmac, createPublicKey, verify } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair } from '../../src/client/keys.js';
import { decodeBase64url, encodeBase64url } from '../../src/protocol/base64url.js';
import { PROOF_HEADER } from '../../src/protocol/format.js';
import { jwkThumbprint, publicKeyToJwk } from '../../src/protocol/public-key.js';
import { signRequest } from '../../src/client/sign.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { hmacConsumer, type Admin } from '../helpers/hmac.js';
import { expectRefused, getWith } from '../helpers/security.js';
import { claimsFor, craftToken, ed25519Signer, headerFor, hmacSigner, segment, type Signer } from '../helpers/tokens.js';

/**
 * Attacks on the keys themselves: the wrong algorithm for an HMAC key, guessable HMAC secrets,
 * truncated and extended MACs, and a small-order Ed25519 key under which one "universal" signature
 * verifies for every message.
 */

const encoder = new TextEncoder();

describe('attacks on keys', () => {
  let h: Harness;
  let admin: Admin;
  let client: { consumerId: string; kid: string; secret: string };
  beforeAll(async () => {
    h = await startHarness();
    admin = await h.addAdmin();
    client = await hmacConsumer(h, admin, 'hmac-target');
  });
  afterAll(async () => h.close());

  const claims = (overrides: Record<string, unknown> = {}) => claimsFor(h.origin, h.clock.now(), overrides);
  const refused = (token: string) => expectRefused(h, getWith(h, `Signet ${token}`), 'invalid_token');

  it('refuses EdDSA and Ed25519 tokens under an HMAC key id, whoever signed them and however', async () => {
    const mallory = await generateKeyPair();
    const secretMac: Signer = async (input) => new Uint8Array(createHmac('sha256', client.secret).update(input).digest());
    const doubledMac: Signer = async (input) => {
      const mac = await secretMac(input);
      return Uint8Array.from([...mac, ...mac]);
    };
    for (const alg of ['EdDSA', 'Ed25519']) {
      await refused(await craftToken(headerFor(client.kid, alg), claims(), ed25519Signer(mallory.privateKey)));
      await refused(await craftToken(headerFor(client.kid, alg), claims(), secretMac));
      await refused(await craftToken(headerFor(client.kid, alg), claims(), doubledMac));
      await refused(await craftToken(headerFor(client.kid, alg), claims(), async () => new Uint8Array(64)));
    }
    // The right secret under a misspelt or foreign HMAC algorithm is refused too: only HS256 exists.
    for (const alg of ['hs256', 'HS384', 'HS512', 'HS256 ']) {
      await refused(await craftToken(headerFor(client.kid, alg), claims(), hmacSigner(encoder.encode(client.secret))));
    }
    // The genuine secret with HS256 works, so the refusals above are about the algorithm.
    expect(
      (await fetch(h.baseUrl + '/v1/whoami', { headers: { Authorization: `Signet ${await craftToken(headerFor(client.kid, 'HS256'), claims(), hmacSigner(encoder.encode(client.secret)))}` } })).status,
    ).toBe(200);
  });

  it('refuses HS256 tokens signed with guessable secrets: empty, common words, ids, the prefix, the secret without its checksum', async () => {
    const guesses = [
      '',
      'secret',
      'password',
      '123456',
      'changeme',
      client.kid,
      client.consumerId,
      'sgnt_hs_',
      client.secret.slice(0, -6),
      client.secret.toLowerCase() === client.secret ? client.secret.toUpperCase() : client.secret.toLowerCase(),
      '\u0000'.repeat(32),
      'A'.repeat(64),
    ];
    // node:crypto, unlike WebCrypto, also MACs with an empty key, as a careless server library would.
    const macWith =
      (guess: string): Signer =>
      async (input) =>
        new Uint8Array(createHmac('sha256', guess).update(input).digest());
    for (const guess of guesses) {
      await refused(await craftToken(headerFor(client.kid, 'HS256'), claims(), macWith(guess)));
    }
  });

  it("has no way to register an HMAC secret of the client's choosing: a secret in the issue body is an unknown field", async () => {
    for (const path of [`/admin/v1/consumers/${client.consumerId}/keys/hmac`, '/v1/keys/hmac']) {
      const response = await h.send({ method: 'POST', path, json: { secret: 'password' }, ...admin });
      expect(response.status).toBe(400);
      const body = (await response.json()) as { code: string; errors: Array<{ path: string }> };
      expect(body.code).toBe('invalid_request');
      expect(body.errors.map((e) => e.path)).toContain('secret');
    }
  });

  it('refuses truncated, extended and empty MACs under an HMAC key', async () => {
    const good = await craftToken(headerFor(client.kid, 'HS256'), claims(), hmacSigner(encoder.encode(client.secret)));
    const [h64, p64, s64] = good.split('.') as [string, string, string];
    const mac = decodeBase64url(s64);
    for (const variant of [mac.slice(0, 16), mac.slice(0, 31), Uint8Array.from([...mac, 0]), Uint8Array.from([...mac, ...mac])]) {
      await refused(`${h64}.${p64}.${encodeBase64url(variant)}`);
    }
    await refused(`${h64}.${p64}.`);
    expect((await fetch(h.baseUrl + '/v1/whoami', { headers: { Authorization: `Signet ${good}` } })).status).toBe(200);
  });

  it('refuses to register the identity point, whose universal signature OpenSSL 3.0 accepts, and stores nothing', async () => {
    const identity = new Uint8Array(32);
    identity[0] = 1;
    const universal = new Uint8Array(64);
    universal[0] = 1;
    // Why the import check matters: OpenSSL 3.0 (Node 20) verifies R = identity, S = 0 under the
    // identity key for any message. OpenSSL 3.5 (Node 24) refuses it itself, but Signet must not
    // depend on which OpenSSL its Node was built with, so the refusal below holds either way.
    const identityKey = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: encodeBase64url(identity) }, format: 'jwk' });
    const opensslAcceptsUniversal = verify(null, Buffer.from('any message at all'), identityKey, universal);
    if (!opensslAcceptsUniversal) console.log(`OpenSSL ${process.versions.openssl} refuses the universal signature itself; Signet's own refusal is still tested`);

    const uploader = await h.addConsumer('uploader', { scopes: ['keys'] });
    const body = JSON.stringify({ public_key: publicKeyToJwk(identity) });
    const iat = Math.floor(h.clock.now() / 1000);
    const proofClaims = { ...claimsFor(h.origin, h.clock.now()), method: 'POST', url: `${h.origin}/v1/keys`, body_sha256: createHash('sha256').update(body).digest('base64url'), iat, exp: iat + 60 };
    const proof = await craftToken(headerFor(await jwkThumbprint(identity)), proofClaims, async () => universal);
    const { authorization } = await signRequest({
      method: 'POST',
      url: `${h.origin}/v1/keys`,
      body: encoder.encode(body),
      key: { type: 'ed25519', privateKey: uploader.pair.privateKey },
      kid: uploader.kid,
      now: h.clock.now(),
    });
    const before = h.stores.replay.size();
    const response = await fetch(`${h.baseUrl}/v1/keys`, { method: 'POST', headers: { Authorization: authorization, [PROOF_HEADER]: proof, 'Content-Type': 'application/json' }, body });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { code: string }).code).toBe('invalid_public_key');
    // Only the uploader's own (valid) Authorization token was spent; the forged proof was not.
    expect(h.stores.replay.size()).toBe(before + 1);
    const keys = await h.send({ method: 'GET', path: '/v1/keys', pair: uploader.pair, kid: uploader.kid });
    expect(((await keys.json()) as { items: unknown[] }).items).toHaveLength(1);
  });

  it("refuses an HS256 token keyed with another consumer's HMAC secret under this key id", async () => {
    const other = await hmacConsumer(h, admin, 'hmac-other');
    await refused(await craftToken(headerFor(client.kid, 'HS256'), claims(), hmacSigner(encoder.encode(other.secret))));
    await refused(`${segment(JSON.stringify(headerFor(other.kid, 'HS256')))}.${segment(JSON.stringify(claims()))}.${encodeBase64url(new Uint8Array(32))}`);
  });
});
