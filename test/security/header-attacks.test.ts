import { createPublicKey } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeBase64, encodeBase64url } from '../../src/protocol/base64url.js';
import { publicKeyToJwk, publicKeyToOpenSsh, publicKeyToPem } from '../../src/protocol/public-key.js';
import { generateKeyPair } from '../../src/client/keys.js';
import { type Harness, type TestConsumer, withAlice } from '../helpers/harness.js';
import { expectRefused, getWith, recordOutboundConnections, startBaitListener, type BaitListener } from '../helpers/security.js';
import { claimsFor, craftToken, ed25519Signer, headerFor, hmacSigner, segment } from '../helpers/tokens.js';

/**
 * Attacks carried in the JWS header: unsigned tokens, algorithm confusion, keys named by the token
 * itself, critical extensions, unencoded payloads and cross-JWT confusion. Every one is refused
 * before the signature is trusted, as 401 invalid_token, with the replay store untouched.
 */

const encoder = new TextEncoder();

describe('attacks in the token header', () => {
  let h: Harness;
  let alice: TestConsumer;
  withAlice((started) => ({ h, alice } = started));

  const claims = (overrides: Record<string, unknown> = {}) => claimsFor(h.origin, h.clock.now(), overrides);
  const signed = (header: string | object, payload: string | object = claims()) => craftToken(header, payload, ed25519Signer(alice.pair.privateKey));
  const refused = (token: string) => expectRefused(h, getWith(h, `Signet ${token}`), 'invalid_token');

  it('refuses a header without alg, with an empty and with a non-empty signature', async () => {
    const header = segment(JSON.stringify({ kid: alice.kid, typ: 'signet+jwt' }));
    const payload = segment(JSON.stringify(claims()));
    await refused(`${header}.${payload}.`);
    await refused(`${header}.${payload}.${encodeBase64url(new Uint8Array(64))}`);
    await refused(`${header}.${payload}.${encodeBase64url(new Uint8Array(64).fill(0xff))}`);
  });

  it('refuses alg values that are not strings: null, a number, an array, an object, a boolean', async () => {
    for (const alg of [null, 0, ['EdDSA'], { name: 'EdDSA' }, true]) {
      await refused(await signed({ alg, kid: alice.kid, typ: 'signet+jwt' }));
    }
  });

  it('refuses unsigned tokens with alg none even when the payload names a privileged route', async () => {
    const payload = segment(JSON.stringify(claims({ method: 'GET', url: `${h.origin}/admin/v1/consumers` })));
    for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
      const header = segment(JSON.stringify(headerFor(alice.kid, alg)));
      await expectRefused(h, getWith(h, `Signet ${header}.${payload}.`, '/admin/v1/consumers'), 'invalid_token');
    }
  });

  it('refuses HS256 MACs keyed with the Ed25519 public key as DER, PEM without its final newline, OpenSSH, hex and base64', async () => {
    const raw = alice.pair.publicKey;
    const pem = publicKeyToPem(raw);
    const der = createPublicKey(pem).export({ format: 'der', type: 'spki' });
    const hex = Buffer.from(raw).toString('hex');
    const secrets: Uint8Array[] = [
      new Uint8Array(der),
      encoder.encode(pem.trimEnd()),
      encoder.encode(pem.replace(/\n/g, '\r\n')),
      encoder.encode(publicKeyToOpenSsh(raw)),
      encoder.encode(hex),
      encoder.encode(hex.toUpperCase()),
      encoder.encode(encodeBase64(raw)),
      encoder.encode(encodeBase64url(raw)),
      encoder.encode(JSON.stringify({ ...publicKeyToJwk(raw), kid: alice.kid })),
    ];
    for (const secret of secrets) {
      for (const alg of ['HS256', 'HS384', 'HS512']) {
        await refused(await craftToken(headerFor(alice.kid, alg), claims(), hmacSigner(secret)));
      }
    }
  });

  it('refuses an ES256 token with the all-zero "psychic" signature (CVE-2022-21449) and other foreign algorithms', async () => {
    const payload = segment(JSON.stringify(claims()));
    for (const alg of ['ES256', 'ES256K', 'RS256', 'PS256', 'EdDSA25519', 'Ed448']) {
      const header = segment(JSON.stringify(headerFor(alice.kid, alg)));
      await refused(`${header}.${payload}.${encodeBase64url(new Uint8Array(64))}`);
    }
  });

  it('refuses kid values that are not strings: a number, null, an array, an object, a boolean, and an empty kid', async () => {
    for (const kid of [1, null, [alice.kid], { id: alice.kid }, false, '']) {
      await refused(await signed({ alg: 'EdDSA', kid, typ: 'signet+jwt' }));
    }
  });

  describe('header members that name a key (jwk, jku, x5u, x5c)', () => {
    let bait: BaitListener;
    beforeAll(async () => {
      bait = await startBaitListener();
    });
    afterAll(async () => bait.close());

    it('refuses jwk, jku, x5u and x5c headers and makes no outbound request for them', async () => {
      const mallory = await generateKeyPair();
      const own = (header: object) => craftToken(header, claims(), ed25519Signer(mallory.privateKey));
      const malloryJwk = publicKeyToJwk(mallory.publicKey);
      const outbound = recordOutboundConnections();
      try {
        const tokens = [
          await own({ ...headerFor(alice.kid), jwk: malloryJwk }),
          await own({ alg: 'EdDSA', typ: 'signet+jwt', jwk: { ...malloryJwk, kid: alice.kid } }),
          await own({ ...headerFor(alice.kid), jku: `${bait.url}/jwks.json` }),
          await own({ alg: 'EdDSA', typ: 'signet+jwt', kid: alice.kid, jku: `${bait.url}/.well-known/jwks.json` }),
          await own({ ...headerFor(alice.kid), x5u: `${bait.url}/cert.pem` }),
          await own({ ...headerFor(alice.kid), x5c: [encodeBase64(new Uint8Array(300))] }),
          await own({ ...headerFor(alice.kid), 'x5t#S256': encodeBase64url(new Uint8Array(32)) }),
          await signed({ ...headerFor(alice.kid), jku: `${bait.url}/jwks.json` }),
          await signed({ ...headerFor(alice.kid), x5u: `${bait.url}/x5u` }),
        ];
        for (const token of tokens) await refused(token);
        // One more ordinary round trip: anything the server had started in the background has been scheduled by now.
        expect((await h.send({ method: 'GET', path: '/v1/whoami', pair: alice.pair, kid: alice.kid })).status).toBe(200);
      } finally {
        outbound.stop();
      }
      expect(bait.connections()).toBe(0);
      const serverPort = new URL(h.baseUrl).port;
      expect(outbound.targets.filter((target) => !target.endsWith(`:${serverPort}`))).toEqual([]);
    });
  });

  it('refuses crit in every form: unknown extension, empty list, a string, a registered name, b64', async () => {
    for (const crit of [['exp-ext'], [], 'b64', ['alg'], ['kid'], ['b64'], [1], null]) {
      await refused(await signed({ ...headerFor(alice.kid), crit }));
      await refused(await signed({ ...headerFor(alice.kid), crit, 'exp-ext': 1 }));
    }
  });

  it('refuses b64:false with and without crit, with an encoded, a raw and a detached payload', async () => {
    const payloadText = JSON.stringify(claims());
    const sign = ed25519Signer(alice.pair.privateKey);
    for (const extra of [{ b64: false }, { b64: false, crit: ['b64'] }, { b64: true }, { b64: true, crit: ['b64'] }]) {
      const header = segment(JSON.stringify({ ...headerFor(alice.kid), ...extra }));
      // RFC 7797: the signature covers ASCII(header) || '.' || raw payload.
      const rawSignature = encodeBase64url(await sign(`${header}.${payloadText}`));
      await refused(`${header}.${segment(payloadText)}.${rawSignature}`);
      await refused(`${header}..${rawSignature}`);
      await refused(`${header}.${payloadText}.${rawSignature}`);
      await refused(await signed({ ...headerFor(alice.kid), ...extra }));
    }
  });

  it('refuses other typ values, a missing typ and a plain JWT without binding claims, all signed by the right key', async () => {
    for (const typ of ['JWT', 'jwt', 'at+jwt', 'dpop+jwt', 'SIGNET+JWT', 'application/signet+jwt', 'signet+jwt ', '', null]) {
      await refused(await signed({ alg: 'EdDSA', kid: alice.kid, typ }));
    }
    await refused(await signed({ alg: 'EdDSA', kid: alice.kid }));
    const iat = Math.floor(h.clock.now() / 1000);
    const plainJwt = { sub: alice.record.consumer.id, iss: h.origin, aud: h.origin, iat, exp: iat + 60, jti: 'AAAAAAAAAAAAAAAAAAAAAAAA' };
    await refused(await signed({ alg: 'EdDSA', kid: alice.kid, typ: 'JWT' }, plainJwt));
    // With the right typ, the missing binding claims are refused once the signature is verified.
    await refused(await signed(headerFor(alice.kid), plainJwt));
    const { method: _m, url: _u, body_sha256: _b, ...unbound } = claims();
    await refused(await signed(headerFor(alice.kid), unbound));
  });
});
