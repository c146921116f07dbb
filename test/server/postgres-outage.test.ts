import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.js';
import { createPgSchema, servicesAvailable, withSearchPath, type PgSchema } from '../helpers/services.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { PG_URL } from '../helpers/test-env.js';

/**
 * PostgreSQL taken away from a running server through a TCP proxy (the machine's PostgreSQL keeps
 * running): /readyz says so, requests that need the database get 503 within the configured
 * timeouts (never a 500, never a hang), requests served from memory keep working, and everything
 * recovers when the database is back.
 */
const ready = servicesAvailable('the PostgreSQL outage suite', { pg: true });

describe.skipIf(!ready)('a server whose PostgreSQL goes away', () => {
  let pg: PgSchema;
  let proxy: TcpProxy;
  let harness: Harness;

  beforeAll(async () => {
    pg = await createPgSchema('pg_outage');
    const target = new URL(PG_URL!);
    proxy = await TcpProxy.start(Number(target.port || 5432), target.hostname);
    target.host = `127.0.0.1:${proxy.port}`;
    harness = await startHarness({
      databaseUrl: withSearchPath(target.toString(), pg.schema),
      databaseConnectTimeoutMs: 400,
      databaseQueryTimeoutMs: 400,
      masterKey: randomBytes(32).toString('base64url'),
    });
  });

  afterAll(async () => {
    await harness?.close();
    await proxy?.close();
    await pg?.drop();
  });

  async function readiness() {
    const response = await fetch(harness.baseUrl + '/readyz');
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  for (const mode of ['refuse', 'blackhole'] as const) {
    it(`answers 503, not 500 and without hanging, while the database ${mode === 'refuse' ? 'refuses connections' : 'stops answering'}; recovers after`, async () => {
      const cached = await harness.addConsumer('cached');
      const later = await harness.addConsumer('later');
      const admin = await harness.addAdmin();
      expect((await harness.send({ method: 'GET', path: '/v1/whoami', pair: cached.pair, kid: cached.kid })).status).toBe(200);
      expect((await harness.send({ method: 'GET', path: '/admin/v1/consumers', pair: admin.pair, kid: admin.kid })).status).toBe(200);
      expect((await readiness()).status).toBe(200);

      proxy.set(mode);
      try {
        expect(await readiness()).toMatchObject({ status: 503, body: { status: 'not_ready', database: 'unreachable' } });
        // A key this instance has not cached must be read from the database: 503 with a sentence.
        const uncached = await harness.send({ method: 'GET', path: '/v1/whoami', pair: later.pair, kid: later.kid });
        expect(uncached.status).toBe(503);
        expect(await uncached.json()).toMatchObject({ code: 'service_unavailable', detail: 'The database is unavailable right now; retry in a few seconds.' });
        // The admin's key is cached, but listing consumers reads the database: 503 too.
        const listing = await harness.send({ method: 'GET', path: '/admin/v1/consumers', pair: admin.pair, kid: admin.kid });
        expect(listing.status).toBe(503);
        expect((await listing.json()).code).toBe('service_unavailable');
        // A key already verified and cached keeps working from memory.
        expect((await harness.send({ method: 'GET', path: '/v1/whoami', pair: cached.pair, kid: cached.kid })).status).toBe(200);
      } finally {
        proxy.set('forward');
      }

      let recovered = 0;
      for (let i = 0; i < 20 && recovered !== 200; i++) recovered = (await readiness()).status;
      expect(recovered).toBe(200);
      expect((await harness.send({ method: 'GET', path: '/v1/whoami', pair: later.pair, kid: later.kid })).status).toBe(200);
    });
  }
});
