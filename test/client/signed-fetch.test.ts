import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCorrectedClock } from '../../src/client/clock-offset.js';
import { createSignedFetch } from '../../src/client/signed-fetch.js';
import { SignetResponseError } from '../../src/client/errors.js';
import { SignetError } from '../../src/protocol/errors.js';
import type { RequestClaims } from '../../src/protocol/format.js';
import { startHarness, T0, type Harness } from '../helpers/harness.js';
import { harnessFetch } from './harness-fetch.js';

interface Echo {
  body: string;
  length: number;
  body_sha256: string;
}

describe('createSignedFetch against the real server', () => {
  let h: Harness;
  let consumer: Awaited<ReturnType<Harness['addConsumer']>>;
  const clientClock = () => T0;

  beforeAll(async () => {
    h = await startHarness();
    consumer = await h.addConsumer('fetch-user');
  });
  afterAll(async () => h.close());

  function client(extra: Partial<Parameters<typeof createSignedFetch>[0]> = {}) {
    const transport = harnessFetch(h);
    const signedFetch = createSignedFetch({ baseUrl: h.origin, key: consumer.pair, kid: consumer.kid, fetch: transport.fetch, now: clientClock, ...extra });
    return { signedFetch, calls: transport.calls };
  }

  it('signs a GET by path and gets the consumer back from /v1/whoami', async () => {
    const { signedFetch } = client();
    const response = await signedFetch('/v1/whoami');
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ key_id: consumer.kid, consumer_name: 'fetch-user' });
  });

  it('signs absolute URLs, URL objects and Request objects alike', async () => {
    const { signedFetch } = client();
    expect((await signedFetch(`${h.origin}/v1/whoami`)).status).toBe(200);
    expect((await signedFetch(new URL('/v1/whoami', h.origin))).status).toBe(200);
    const request = new Request(`${h.origin}/v1/echo`, { method: 'POST', body: 'from a Request' });
    expect(await (await signedFetch(request)).json()).toMatchObject({ body: 'from a Request' });
  });

  it('signs the URL as fetch sends it: dot segments resolved, spaces escaped, fragment dropped', async () => {
    const signed: RequestClaims[] = [];
    const { signedFetch, calls } = client({ onSigned: (claims) => signed.push(claims) });
    const response = await signedFetch('/v1/../v1/whoami?q=a b#section');
    // The route does not care about the query; the signature binding does.
    expect(response.status).toBe(200);
    expect(signed[0]!.url).toBe(`${h.origin}/v1/whoami?q=a%20b`);
    expect(calls[0]).toBe(`${h.origin}/v1/whoami?q=a%20b`);
  });

  const bodies: Array<[string, () => unknown, string]> = [
    ['a string', () => 'plain text', 'plain text'],
    ['a Buffer', () => Buffer.from('buffer bytes'), 'buffer bytes'],
    ['a Uint8Array view into a larger buffer', () => new TextEncoder().encode('xxsliced bytesxx').subarray(2, 14), 'sliced bytes'],
    ['URLSearchParams', () => new URLSearchParams({ a: '1', b: 'two words' }), 'a=1&b=two+words'],
    ['a plain object, as JSON', () => ({ hello: 'world', n: [1, 2] }), '{"hello":"world","n":[1,2]}'],
    ['a Blob', () => new Blob(['blob ', 'parts']), 'blob parts'],
    ['a web ReadableStream', () => new Blob(['streamed ', 'body']).stream(), 'streamed body'],
    ['a Node Readable stream', () => Readable.from([Buffer.from('node '), Buffer.from('stream')]), 'node stream'],
  ];
  for (const [name, make, expected] of bodies) {
    it(`signs and sends ${name} as the exact bytes the server hashes`, async () => {
      const { signedFetch } = client();
      const response = await signedFetch('/v1/echo', { method: 'POST', body: make() as BodyInit });
      expect(response.status).toBe(200);
      expect(((await response.json()) as Echo).body).toBe(expected);
    });
  }

  it('sets the Content-Type fetch would have set, and keeps one the caller gave', async () => {
    const seen: Array<string | null> = [];
    const transport = harnessFetch(h);
    const signedFetch = createSignedFetch({
      baseUrl: h.origin,
      key: consumer.pair,
      kid: consumer.kid,
      now: clientClock,
      fetch: (url, init) => (seen.push(new Headers(init.headers).get('content-type')), transport.fetch(url, init)),
    });
    await signedFetch('/v1/echo', { method: 'POST', body: { a: 1 } });
    await signedFetch('/v1/echo', { method: 'POST', body: new URLSearchParams({ a: '1' }) });
    await signedFetch('/v1/echo', { method: 'POST', body: '{}', headers: { 'Content-Type': 'application/merge-patch+json' } });
    expect(seen).toEqual(['application/json', 'application/x-www-form-urlencoded;charset=UTF-8', 'application/merge-patch+json']);
  });

  it('upper-cases a lower-case method before signing and sending, so both agree', async () => {
    const { signedFetch } = client();
    const response = await signedFetch('/v1/echo', { method: 'post', body: 'x' });
    expect(response.status).toBe(200);
  });

  it('refuses to buffer a body above maxBodyBytes, before sending anything', async () => {
    const { signedFetch, calls } = client({ maxBodyBytes: 8 });
    const error = await signedFetch('/v1/echo', { method: 'POST', body: new Blob(['123456789']).stream() }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SignetError);
    expect((error as SignetError).code).toBe('payload_too_large');
    expect(calls).toEqual([]);
  });

  it('returns non-authentication answers as the Response, like fetch (404 here)', async () => {
    const { signedFetch } = client();
    const response = await signedFetch('/v1/no-such-route');
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ code: 'not_found' });
  });

  it('throws a SignetResponseError with code, request id and expected-versus-received for a binding mismatch', async () => {
    // A transport that sends the signed request to another path, as a misconfigured proxy would.
    const signedFetch = createSignedFetch({
      baseUrl: h.origin,
      key: consumer.pair,
      kid: consumer.kid,
      now: clientClock,
      fetch: (_url, init) => fetch(`${h.baseUrl}/v1/echo?tampered=1`, init),
    });
    const error = await signedFetch('/v1/echo', { method: 'POST', body: 'x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SignetResponseError);
    expect(error).toBeInstanceOf(SignetError);
    const e = error as SignetResponseError;
    expect(e.code).toBe('binding_mismatch');
    expect(e.status).toBe(401);
    expect(e.httpStatus).toBe(401);
    expect(e.requestId).toMatch(/\S/);
    expect(e.serverTime).toBe(Math.floor(T0 / 1000));
    expect(e.mismatches).toEqual([{ claim: 'url', expected: `${h.origin}/v1/echo?tampered=1`, received: `${h.origin}/v1/echo` }]);
    expect(e.detail).toContain('url');
  });

  it('throws invalid_token, without retrying, for a key the server does not know', async () => {
    const stranger = await h.addConsumer('stranger');
    const { signedFetch, calls } = client({ key: stranger.pair, kid: 'key_0000000000000000000000' });
    const error = await signedFetch('/v1/whoami').catch((e: unknown) => e);
    expect((error as SignetResponseError).code).toBe('invalid_token');
    expect(calls).toHaveLength(1);
  });
});

describe('clock-skew correction', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h.close());

  it('corrects a clock 10 minutes behind the server from server_time, retries once and succeeds', async () => {
    const { pair, kid } = await h.addConsumer();
    h.clock.set(T0 + 10 * 60_000);
    const transport = harnessFetch(h);
    const signedFetch = createSignedFetch({ baseUrl: h.origin, key: pair, kid, fetch: transport.fetch, now: () => T0 });
    const response = await signedFetch('/v1/whoami');
    expect(response.status).toBe(200);
    expect(transport.calls).toHaveLength(2);
    expect(signedFetch.clockOffsetMs).toBeGreaterThanOrEqual(10 * 60_000);
    expect(signedFetch.clockOffsetMs).toBeLessThan(10 * 60_000 + 1000);
    // The offset is kept: the next call needs no retry.
    expect((await signedFetch('/v1/whoami')).status).toBe(200);
    expect(transport.calls).toHaveLength(3);
  });

  it('corrects a clock 10 minutes ahead of the server (token issued in the future) the same way', async () => {
    const { pair, kid } = await h.addConsumer();
    h.clock.set(T0);
    const transport = harnessFetch(h);
    const signedFetch = createSignedFetch({ baseUrl: h.origin, key: pair, kid, fetch: transport.fetch, now: () => T0 + 10 * 60_000 });
    expect((await signedFetch('/v1/echo', { method: 'POST', body: 'again' })).status).toBe(200);
    expect(transport.calls).toHaveLength(2);
    expect(signedFetch.clockOffsetMs).toBeLessThan(-9 * 60_000);
  });

  it('shares a corrected clock: a second fetch uses the offset the first one learnt, with no retry of its own', async () => {
    const { pair, kid } = await h.addConsumer();
    h.clock.set(T0 + 10 * 60_000);
    const clock = createCorrectedClock(() => T0);
    const first = harnessFetch(h);
    const second = harnessFetch(h);
    const learning = createSignedFetch({ baseUrl: h.origin, key: pair, kid, fetch: first.fetch, clock });
    const sharing = createSignedFetch({ baseUrl: h.origin, key: pair, kid, fetch: second.fetch, clock });
    expect((await learning('/v1/whoami')).status).toBe(200);
    expect(first.calls).toHaveLength(2);
    expect(sharing.clockOffsetMs).toBe(clock.offsetMs);
    expect((await sharing('/v1/whoami')).status).toBe(200);
    expect(second.calls).toHaveLength(1);
  });

  it('retries only once: a second clock-skew refusal is thrown', async () => {
    const { pair, kid } = await h.addConsumer();
    h.clock.set(T0 + 10 * 60_000);
    const transport = harnessFetch(h);
    // The server's clock jumps again after answering, so the corrected retry is refused too.
    const signedFetch = createSignedFetch({
      baseUrl: h.origin,
      key: pair,
      kid,
      now: () => T0,
      fetch: async (url, init) => {
        const response = await transport.fetch(url, init);
        h.clock.advance(10 * 60_000);
        return response;
      },
    });
    const error = await signedFetch('/v1/whoami').catch((e: unknown) => e);
    expect((error as SignetResponseError).code).toBe('token_expired');
    expect(transport.calls).toHaveLength(2);
  });

  it('does not retry when retryOnClockSkew is false', async () => {
    const { pair, kid } = await h.addConsumer();
    h.clock.set(T0 + 10 * 60_000);
    const transport = harnessFetch(h);
    const signedFetch = createSignedFetch({ baseUrl: h.origin, key: pair, kid, fetch: transport.fetch, now: () => T0, retryOnClockSkew: false });
    const error = await signedFetch('/v1/whoami').catch((e: unknown) => e);
    expect((error as SignetResponseError).code).toBe('token_expired');
    expect(transport.calls).toHaveLength(1);
  });
});
