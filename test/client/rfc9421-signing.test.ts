import { describe, expect, it } from 'vitest';
import { createSignedFetch } from '../../src/client/signed-fetch.js';
import { signRequest } from '../../src/client/sign.js';
import { SignetResponseError } from '../../src/client/errors.js';
import { parseRequestFormat } from '../../src/client/request-format.js';
import { SignetError } from '../../src/protocol/errors.js';
import { T0, withAlice, type Harness, type TestConsumer } from '../helpers/harness.js';
import { harnessFetch } from './harness-fetch.js';

describe('the client kit in the RFC 9421 format', () => {
  let h: Harness;
  let alice: TestConsumer;
  withAlice((s) => ({ h, alice } = s));

  it('signRequest with { format: "rfc9421" } returns headers the server accepts', async () => {
    const signed = await signRequest({ method: 'GET', url: h.origin + '/v1/whoami', key: alice.pair, kid: alice.kid, now: h.clock.now() }, { format: 'rfc9421' });
    expect(signed.format).toBe('rfc9421');
    expect(Object.keys(signed.headers).sort()).toEqual(['signature', 'signature-input']);
    const response = await fetch(h.baseUrl + '/v1/whoami', { headers: signed.headers });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ key_id: alice.kid, format: 'rfc9421' });
  });

  it('signRequest without options still signs the JWS format', async () => {
    const signed = await signRequest({ method: 'GET', url: h.origin + '/v1/whoami', key: alice.pair, kid: alice.kid, now: h.clock.now() });
    expect(signed.authorization).toMatch(/^Signet /);
  });

  it('createSignedFetch with format rfc9421 sends bodies with their Content-Digest', async () => {
    const transport = harnessFetch(h);
    const signedFetch = createSignedFetch({ baseUrl: h.origin, key: alice.pair, kid: alice.kid, fetch: transport.fetch, now: () => h.clock.now(), format: 'rfc9421' });
    const response = await signedFetch('/v1/echo', { method: 'POST', body: { hello: 'world' } });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { body: string }).body).toBe('{"hello":"world"}');
  });

  it('createSignedFetch with format rfc9421 corrects a clock 10 minutes slow once, from the server time', async () => {
    const transport = harnessFetch(h);
    const signedFetch = createSignedFetch({ baseUrl: h.origin, key: alice.pair, kid: alice.kid, fetch: transport.fetch, now: () => T0 - 600_000, format: 'rfc9421' });
    const response = await signedFetch('/v1/whoami');
    expect(response.status).toBe(200);
    expect(transport.calls).toHaveLength(2);
    expect(Math.abs(signedFetch.clockOffsetMs - 600_000)).toBeLessThan(2_000);
  });

  it('createSignedFetch with format rfc9421 throws the server refusal with its code', async () => {
    const transport = harnessFetch(h);
    const signedFetch = createSignedFetch({ baseUrl: h.origin, key: alice.pair, kid: 'key_0000000000000000000000', fetch: transport.fetch, now: () => h.clock.now(), format: 'rfc9421' });
    await expect(signedFetch('/v1/whoami')).rejects.toBeInstanceOf(SignetResponseError);
  });

  it('names the formats it knows when given another', () => {
    expect(parseRequestFormat(undefined)).toBe('jws');
    expect(parseRequestFormat('rfc9421')).toBe('rfc9421');
    expect(() => parseRequestFormat('cavage')).toThrow(SignetError);
  });
});
