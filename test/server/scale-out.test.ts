import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { addCaller, authorization, send, whoami, type Caller } from '../helpers/scale-fixture.js';
import type { ServerProcess } from '../helpers/server-process.js';
import { servicesAvailable, type PgSchema } from '../helpers/services.js';
import { withTwoInstances } from '../helpers/two-instances.js';

/**
 * Two real `signet serve` processes sharing one PostgreSQL database and one Redis behave as one
 * Signet: a token is accepted once across both, a revocation on one reaches the other within a
 * second, and a rate limit counts requests to both.
 */
const ready = servicesAvailable('the two-instance scale-out suite', { pg: true, redis: true });

describe.skipIf(!ready)('two instances sharing PostgreSQL and Redis', () => {
  let pg: PgSchema;
  let a: ServerProcess;
  let b: ServerProcess;
  let admin: Caller;
  withTwoInstances('scale', async (started) => {
    ({ pg, a, b } = started);
    admin = await addCaller(pg, { scopes: ['admin', 'keys'] });
  });

  it('accepts the same token exactly once when it is sent to both instances at the same time', async () => {
    const caller = await addCaller(pg);
    const outcomes: string[] = [];
    for (let i = 0; i < 20; i++) {
      const token = await authorization(caller, 'GET', '/v1/whoami');
      const answers = await Promise.all([send(a.url, 'GET', '/v1/whoami', token), send(b.url, 'GET', '/v1/whoami', token)]);
      outcomes.push(
        answers
          .map((r) => `${r.status}${r.code !== undefined ? ' ' + r.code : ''}`)
          .sort()
          .join(' / '),
      );
    }
    expect(new Set(outcomes)).toEqual(new Set(['200 / 401 token_replayed']));
  });

  it('refuses on instance B, within a second, a key revoked through instance A', async () => {
    const caller = await addCaller(pg);
    // Both instances have the key cached and valid.
    expect((await whoami(a.url, caller)).status).toBe(200);
    expect((await whoami(b.url, caller)).status).toBe(200);
    const path = `/admin/v1/keys/${caller.kid}/revoke`;
    const sent = performance.now();
    const revoked = await send(a.url, 'POST', path, await authorization(admin, 'POST', path, '{}'), '{}');
    const answered = performance.now();
    expect(revoked.status).toBe(200);
    expect((await whoami(a.url, caller)).code).toBe('key_revoked');
    // Probe B with fresh tokens until it refuses; the probe that was refused was signed no earlier than `probeStart`.
    let refusedAt: number | undefined;
    let probeStart = answered;
    let probes = 0;
    let last: { status: number; code?: string } | undefined;
    while (performance.now() - answered < 5_000) {
      const auth = await authorization(caller, 'GET', '/v1/whoami');
      probeStart = performance.now();
      probes++;
      last = await send(b.url, 'GET', '/v1/whoami', auth);
      if (last.status === 401) {
        refusedAt = performance.now();
        break;
      }
      await delay(2);
    }
    expect(last?.code).toBe('key_revoked');
    const propagation = refusedAt! - answered;
    console.log(
      `revocation propagation A -> B: B refused probe ${probes}, sent ${(probeStart - answered).toFixed(1)} ms and answered ${propagation.toFixed(1)} ms after A confirmed the revocation (${(answered - sent).toFixed(1)} ms for A to revoke and publish)`,
    );
    expect(propagation).toBeLessThan(1_000);
  });

  it('refuses on instance B a consumer disabled through instance A', async () => {
    const caller = await addCaller(pg);
    expect((await whoami(b.url, caller)).status).toBe(200);
    const path = `/admin/v1/consumers/${caller.consumerId}/disable`;
    const disabled = await send(a.url, 'POST', path, await authorization(admin, 'POST', path, '{}'), '{}');
    expect(disabled.status).toBe(200);
    let last: { status: number; code?: string } = { status: 0 };
    for (let i = 0; i < 100 && last.status !== 403; i++) {
      last = await whoami(b.url, caller);
      if (last.status !== 403) await delay(10);
    }
    expect(last).toMatchObject({ status: 403, code: 'consumer_disabled' });
  });

  it('holds a rate limit across both instances: 10 requests a year means 10, wherever they land', async () => {
    const caller = await addCaller(pg, { plan: 'tiny' });
    const statuses: number[] = [];
    for (let i = 0; i < 16; i++) statuses.push((await whoami(i % 2 === 0 ? a.url : b.url, caller)).status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(10);
    expect(statuses.slice(10)).toEqual([429, 429, 429, 429, 429, 429]);
    // Concurrent requests to both cannot overshoot either.
    const more = await Promise.all(Array.from({ length: 6 }, (_, i) => whoami(i % 2 === 0 ? a.url : b.url, caller)));
    expect(more.map((r) => r.status)).toEqual([429, 429, 429, 429, 429, 429]);
  });

  it('reports both the database and Redis as ready on each instance', async () => {
    for (const server of [a, b]) {
      const response = await fetch(server.url + '/readyz');
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ status: 'ready', database: 'ok', redis: 'ok' });
    }
  });
});
