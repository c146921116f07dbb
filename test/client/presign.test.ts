import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTtl } from '../../src/client/duration.js';
import { presignUrl } from '../../src/client/presign.js';
import { SignetError } from '../../src/protocol/errors.js';
import { PRESIGN_PARAM } from '../../src/protocol/format.js';
import { startHarness, T0, type Harness } from '../helpers/harness.js';

describe('presigned links', () => {
  let h: Harness;
  let consumer: Awaited<ReturnType<Harness['addConsumer']>>;
  beforeAll(async () => {
    h = await startHarness();
    consumer = await h.addConsumer('presigner');
  });
  afterAll(async () => h.close());

  /** Sends a presigned link's path and query to the harness socket. */
  const open = (link: string, method = 'GET') => fetch(h.baseUrl + link.slice(h.origin.length), { method });

  const presign = (path: string, ttl: number | string = 60) => presignUrl({ url: h.origin + path, key: consumer.pair, kid: consumer.kid, ttl, now: h.clock.now() });

  it('is accepted once, without any Authorization header', async () => {
    const link = await presign('/v1/whoami?format=json', '5m');
    expect(link.url).toMatch(new RegExp(`^${h.origin}/v1/whoami\\?format=json&${PRESIGN_PARAM}=[\\w-]+\\.[\\w-]+\\.[\\w-]+$`));
    expect(link.claims.url).toBe(`${h.origin}/v1/whoami?format=json`);
    expect(link.claims.exp - link.claims.iat).toBe(300);
    const response = await open(link.url);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ key_id: consumer.kid });
  });

  it('is refused on second use as a replay', async () => {
    const link = await presign('/v1/whoami');
    expect((await open(link.url)).status).toBe(200);
    const again = await open(link.url);
    expect(again.status).toBe(401);
    expect(await again.json()).toMatchObject({ code: 'token_replayed' });
  });

  it('is refused after it expires (past exp plus the server clock-skew tolerance)', async () => {
    const link = await presign('/v1/whoami', 30);
    h.clock.advance((30 + h.config.clockSkewSeconds + 1) * 1000);
    try {
      const response = await open(link.url);
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ code: 'token_expired' });
    } finally {
      h.clock.set(T0);
    }
  });

  it('is refused for POST, even on a route that accepts POST', async () => {
    const link = await presign('/v1/echo');
    const response = await open(link.url, 'POST');
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ code: 'missing_token', detail: expect.stringMatching(/GET requests only/) });
  });

  it('binds the link to its URL: changing the query is a binding mismatch', async () => {
    const link = await presign('/v1/whoami?format=json');
    const response = await open(link.url.replace('format=json', 'format=csv'));
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ code: 'binding_mismatch', mismatches: [{ claim: 'url' }] });
  });

  it('works on a URL without a query and on one with an empty query', async () => {
    for (const path of ['/v1/whoami', '/v1/whoami?']) {
      const link = await presign(path);
      expect(link.url).toMatch(new RegExp(`/v1/whoami\\?${PRESIGN_PARAM}=`));
      expect((await open(link.url)).status).toBe(200);
    }
  });

  it('refuses a URL that already carries the token parameter, and a lifetime above 300 s', async () => {
    await expect(presign(`/v1/whoami?${PRESIGN_PARAM}=x`)).rejects.toThrow(/already carries/);
    await expect(presign('/v1/whoami', 301)).rejects.toThrow(SignetError);
    await expect(presign('/v1/whoami', '6m')).rejects.toThrow(/1 to 300 seconds/);
  });
});

describe('lifetimes written as text', () => {
  it('reads plain seconds and s and m suffixes', () => {
    expect([parseTtl('90'), parseTtl('90s'), parseTtl('5m'), parseTtl(1), parseTtl(' 2m ')]).toEqual([90, 90, 300, 1, 120]);
  });

  it('refuses zero, fractions, other units and anything above 300 s', () => {
    for (const bad of ['0', '0s', '1.5', '1h', '301', '6m', '', 'm', '-5', 0, 2.5, 301]) {
      expect(() => parseTtl(bad)).toThrow(SignetError);
    }
  });
});
