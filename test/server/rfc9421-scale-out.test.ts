import { describe, expect, it } from 'vitest';
import { signHttpRequest } from '../../src/client/http-signature.js';
import { newJti } from '../../src/protocol/ids.js';
import { signRequest } from '../../src/client/sign.js';
import { addCaller, PUBLIC_ORIGIN, type Caller } from '../helpers/scale-fixture.js';
import type { ServerProcess } from '../helpers/server-process.js';
import { servicesAvailable } from '../helpers/services.js';
import { withTwoInstances } from '../helpers/two-instances.js';

/**
 * The two request formats share one replay store across instances: a one-time value spent on
 * instance A in one format is refused on instance B in the other.
 */
const ready = servicesAvailable('the two-instance cross-format replay suite', { pg: true, redis: true });

describe.skipIf(!ready)('two instances on PostgreSQL and Redis, two request formats, one replay store', () => {
  let a: ServerProcess;
  let b: ServerProcess;
  let caller: Caller;
  withTwoInstances('rfc9421', async (started) => {
    ({ a, b } = started);
    caller = await addCaller(started.pg);
  });

  const key = () => ({ type: 'ed25519' as const, privateKey: caller.pair.privateKey });

  async function viaJws(base: string, jti: string): Promise<{ status: number; code?: string }> {
    const signed = await signRequest({ method: 'GET', url: PUBLIC_ORIGIN + '/v1/whoami', key: key(), kid: caller.kid, jti });
    return answer(await fetch(base + '/v1/whoami', { headers: { Authorization: signed.authorization } }));
  }

  async function viaRfc9421(base: string, nonce: string): Promise<{ status: number; code?: string }> {
    const signed = await signHttpRequest({ method: 'GET', url: PUBLIC_ORIGIN + '/v1/whoami', key: key(), kid: caller.kid, nonce });
    return answer(await fetch(base + '/v1/whoami', { headers: signed.headers }));
  }

  async function answer(response: Response): Promise<{ status: number; code?: string }> {
    const body = (await response.json()) as { code?: string };
    return { status: response.status, ...(body.code !== undefined ? { code: body.code } : {}) };
  }

  it('refuses on instance B as an RFC 9421 nonce a value spent on instance A as a JWS jti', async () => {
    const value = newJti();
    expect(await viaJws(a.url, value)).toEqual({ status: 200 });
    expect(await viaRfc9421(b.url, value)).toEqual({ status: 401, code: 'token_replayed' });
  });

  it('refuses on instance A as a JWS jti a value spent on instance B as an RFC 9421 nonce', async () => {
    const value = newJti();
    expect(await viaRfc9421(b.url, value)).toEqual({ status: 200 });
    expect(await viaJws(a.url, value)).toEqual({ status: 401, code: 'token_replayed' });
  });

  it('accepts one of two RFC 9421 requests with the same nonce sent to both instances at once', async () => {
    const outcomes = new Set<string>();
    for (let i = 0; i < 10; i++) {
      const signed = await signHttpRequest({ method: 'GET', url: PUBLIC_ORIGIN + '/v1/whoami', key: key(), kid: caller.kid });
      const answers = await Promise.all([a.url, b.url].map(async (base) => answer(await fetch(base + '/v1/whoami', { headers: signed.headers }))));
      outcomes.add(
        answers
          .map((r) => `${r.status}${r.code !== undefined ? ' ' + r.code : ''}`)
          .sort()
          .join(' / '),
      );
    }
    expect(outcomes).toEqual(new Set(['200 / 401 token_replayed']));
  });
});
