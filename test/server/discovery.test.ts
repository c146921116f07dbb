import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSignedFetch } from '../../src/client/signed-fetch.js';
import type { RequestClaims } from '../../src/protocol/format.js';
import { harnessFetch } from '../client/harness-fetch.js';
import { startHarness, T0, type Harness } from '../helpers/harness.js';

describe('GET /.well-known/signet', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ audience: 'urn:example:api', maxTokenLifetimeSeconds: 120, clockSkewSeconds: 30, docsUrl: 'https://docs.example.test/signet' });
  });
  afterAll(async () => h?.close());

  it('tells any client, unsigned, the audience, lifetime, skew, algorithms, key formats, server time and docs', async () => {
    const response = await fetch(h.baseUrl + '/.well-known/signet');
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('public, max-age=10');
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(await response.json()).toEqual({
      protocol: 'signet',
      protocol_version: 1,
      public_origin: h.origin,
      audience: 'urn:example:api',
      authorization_scheme: 'Signet',
      token_type: 'signet+jwt',
      default_token_lifetime_seconds: 60,
      max_token_lifetime_seconds: 120,
      clock_skew_seconds: 30,
      algorithms: { ed25519: ['EdDSA', 'Ed25519'], hmac: ['HS256'] },
      public_key_formats: ['jwk', 'pem', 'openssh'],
      presign_parameter: 'signet_token',
      proof_header: 'Signet-Proof',
      server_time: Math.floor(h.clock.now() / 1000),
      docs_url: 'https://docs.example.test/signet',
      openapi_url: `${h.origin}/openapi.json`,
    });
  });

  describe('createSignedFetch({ discover: true })', () => {
    let consumer: Awaited<ReturnType<Harness['addConsumer']>>;
    beforeAll(async () => {
      consumer = await h.addConsumer('discovering');
    });

    it('signs even its first request with the server audience and a clock corrected from the server time: no refusal, no retry', async () => {
      const transport = harnessFetch(h);
      const signed: RequestClaims[] = [];
      const lateClock = () => T0 - 10 * 60_000;
      const signedFetch = createSignedFetch({
        baseUrl: h.origin,
        key: consumer.pair,
        kid: consumer.kid,
        fetch: transport.fetch,
        now: lateClock,
        discover: true,
        lifetimeSeconds: 300,
        onSigned: (claims) => signed.push(claims),
      });
      const response = await signedFetch('/v1/whoami');
      expect(response.status).toBe(200);
      expect(signed).toHaveLength(1);
      expect(signed[0]).toMatchObject({ aud: 'urn:example:api', iat: Math.floor(T0 / 1000) });
      expect(signed[0]!.exp - signed[0]!.iat).toBe(120);
      expect(transport.calls).toEqual([`${h.origin}/.well-known/signet`, `${h.origin}/v1/whoami`]);
      expect(signedFetch.clockOffsetMs).toBeGreaterThanOrEqual(10 * 60_000);
      await signedFetch('/v1/whoami');
      expect(transport.calls.filter((url) => url.endsWith('/.well-known/signet'))).toHaveLength(1);
    });

    it('without discover the same client is refused for the audience (what discovery fixes)', async () => {
      const transport = harnessFetch(h);
      const signedFetch = createSignedFetch({ baseUrl: h.origin, key: consumer.pair, kid: consumer.kid, fetch: transport.fetch, now: () => T0 });
      await expect(signedFetch('/v1/whoami')).rejects.toMatchObject({ code: 'audience_mismatch' });
    });

    it('a server without discovery gives a clear error before anything is signed', async () => {
      const signedFetch = createSignedFetch({
        baseUrl: 'https://elsewhere.example',
        key: consumer.pair,
        kid: consumer.kid,
        discover: true,
        fetch: async () => new Response('not here', { status: 404 }),
      });
      await expect(signedFetch('/v1/whoami')).rejects.toMatchObject({ code: 'service_unavailable', detail: expect.stringContaining('/.well-known/signet answered 404') });
    });
  });
});
