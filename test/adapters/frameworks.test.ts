import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Router from '@koa/router';
import express from 'express';
import Fastify from 'fastify';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signetExpress } from '../../src/adapters/express.js';
import { signetFastify } from '../../src/adapters/fastify.js';
import { signetKoa } from '../../src/adapters/koa.js';
import { withSignet } from '../../src/adapters/node.js';
import { buildPlans } from '../../src/plans.js';
import type { Signet } from '../../src/embed/create-signet.js';
import { startEmbedded, type Embedded, type EmbeddedConsumer } from '../helpers/embedded.js';
import { CLOCK_SKEW, fetchFrom, gateRefusal, windowStartClock, type AddressedFetch } from '../helpers/from-address.js';

/** Every host app serves GET /reports (scope reports:read) and POST /echo (any key), both behind Signet. */
interface Host {
  url: string;
  close(): Promise<void>;
}

async function listen(server: Server): Promise<Host> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

const READ = { scopes: ['reports:read'] };

/** trustProxy: the framework's own setting for believing X-Forwarded-For from the loopback proxy. */
const HOSTS: Record<string, (signet: Signet, options?: { trustProxy?: boolean }) => Promise<Host>> = {
  express: async (signet, { trustProxy = false } = {}) => {
    const app = express();
    app.set('trust proxy', trustProxy ? 'loopback' : false);
    app.get('/reports', signetExpress(signet, READ), (req, res) => {
      res.json({ consumer: req.signet?.consumer.name, key: req.signet?.key.id });
    });
    app.post('/echo', signetExpress(signet), (req, res) => {
      res.json({ received: req.rawBody?.toString('utf8') });
    });
    return listen(createServer(app));
  },
  fastify: async (signet, { trustProxy = false } = {}) => {
    const app = Fastify({ trustProxy: trustProxy ? '127.0.0.1' : false });
    await app.register(signetFastify, { signet });
    app.get('/reports', { config: { signet: READ } }, async (request) => ({ consumer: request.signet?.consumer.name, key: request.signet?.key.id }));
    app.post('/echo', async (request) => ({ received: request.rawBody?.toString('utf8'), parsed: request.body }));
    await app.listen({ port: 0, host: '127.0.0.1' });
    return { url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, close: () => app.close() };
  },
  koa: async (signet, { trustProxy = false } = {}) => {
    const app = new Koa();
    app.proxy = trustProxy;
    // A host app with its own error handling: Signet's refusals must come through it intact.
    app.use(async (ctx, next) => {
      try {
        await next();
      } catch {
        ctx.status = 500;
        ctx.body = 'host error';
      }
    });
    const router = new Router();
    router.get('/reports', signetKoa(signet, READ), (ctx) => {
      ctx.body = { consumer: ctx.state.signet.consumer.name, key: ctx.state.signet.key.id };
    });
    router.post('/echo', signetKoa(signet), (ctx) => {
      ctx.body = { received: ctx.state.rawBody.toString('utf8') };
    });
    app.use(router.routes());
    return listen(createServer(app.callback()));
  },
  'node:http': async (signet, { trustProxy = false } = {}) => {
    const proxies = trustProxy ? { trustedProxies: ['127.0.0.1'] } : {};
    const reports = withSignet(
      signet,
      (req, res) => {
        res.setHeader('Content-Type', 'application/json');
        res.end(JSON.stringify({ consumer: req.signet?.consumer.name, key: req.signet?.key.id }));
      },
      { ...READ, ...proxies },
    );
    const echo = withSignet(
      signet,
      (req, res) => {
        res.setHeader('Content-Type', 'application/json');
        res.end(JSON.stringify({ received: req.rawBody?.toString('utf8') }));
      },
      proxies,
    );
    return listen(createServer((req, res) => (req.url?.startsWith('/reports') ? reports(req, res) : echo(req, res))));
  },
};

describe.each(Object.keys(HOSTS))('the %s adapter', (name) => {
  let embedded: Embedded;
  let host: Host;
  let reader: EmbeddedConsumer;
  let writer: EmbeddedConsumer;

  beforeAll(async () => {
    embedded = await startEmbedded({ bodyLimitBytes: 1024, plans: buildPlans({ tiny: { windows: [{ name: 'per_minute', limit: 2, window: '1m' }] } }) });
    host = await HOSTS[name]!(embedded.signet);
    reader = await embedded.addConsumer({ name: 'reader', scopes: ['reports:read'] });
    writer = await embedded.addConsumer({ name: 'writer' });
  });
  afterAll(async () => {
    await host?.close();
    await embedded?.close();
  });

  it('lets a signed request through with the verified consumer and key on the request', async () => {
    const response = await fetch(host.url + '/reports', { headers: { Authorization: await reader.sign('GET', '/reports') } });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ consumer: 'reader', key: reader.kid });
    expect(response.headers.get('request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('accepts the same key signing in the RFC 9421 format, body and Content-Digest included', async () => {
    const read = await fetch(host.url + '/reports', { headers: await reader.signRfc9421('GET', '/reports') });
    expect(read.status).toBe(200);
    expect(await read.json()).toEqual({ consumer: 'reader', key: reader.kid });
    const body = '{"via":"rfc9421"}';
    const echoed = await fetch(host.url + '/echo', { method: 'POST', headers: { 'Content-Type': 'application/json', ...(await writer.signRfc9421('POST', '/echo', body)) }, body });
    expect(echoed.status).toBe(200);
    expect(((await echoed.json()) as { received: string }).received).toBe(body);
  });

  it('refuses an unsigned request with problem+json, the Signet code and WWW-Authenticate', async () => {
    const response = await fetch(host.url + '/reports');
    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(response.headers.get('www-authenticate')).toBe('Signet realm="signet", error="missing_token"');
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ code: 'missing_token', status: 401 });
    expect(typeof body.server_time).toBe('number');
  });

  it('refuses a key without the route scope with 403 insufficient_scope', async () => {
    const response = await fetch(host.url + '/reports', { headers: { Authorization: await writer.sign('GET', '/reports') } });
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ code: 'insufficient_scope', required_scopes: ['reports:read'] });
  });

  it('hands the exact verified body bytes to the handler', async () => {
    const body = '{"amount": 12,  "note":"héllo"}';
    const response = await fetch(host.url + '/echo', { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: await writer.sign('POST', '/echo', body) }, body });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { received: string }).received).toBe(body);
  });

  it('refuses a body other than the one signed with binding_mismatch', async () => {
    const response = await fetch(host.url + '/echo', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: await writer.sign('POST', '/echo', '{"amount":1}') },
      body: '{"amount":1000}',
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ code: 'binding_mismatch' });
  });

  it('refuses a body over the limit with 413 payload_too_large', async () => {
    const body = JSON.stringify({ pad: 'x'.repeat(2000) });
    const response = await fetch(host.url + '/echo', { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: await writer.sign('POST', '/echo', body) }, body });
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ code: 'payload_too_large' });
  });

  it('refuses a replayed token', async () => {
    const authorization = await reader.sign('GET', '/reports');
    expect((await fetch(host.url + '/reports', { headers: { Authorization: authorization } })).status).toBe(200);
    const again = await fetch(host.url + '/reports', { headers: { Authorization: authorization } });
    expect(again.status).toBe(401);
    expect(await again.json()).toMatchObject({ code: 'token_replayed' });
  });

  it('applies the consumer plan: 429 with Retry-After once the window is used up', async () => {
    const limited = await embedded.addConsumer({ name: 'limited', scopes: ['reports:read'], plan: 'tiny' });
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 3; i += 1) {
      last = await fetch(host.url + '/reports', { headers: { Authorization: await limited.sign('GET', '/reports') } });
      statuses.push(last.status);
    }
    expect(statuses).toEqual([200, 200, 429]);
    expect(last!.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(last!.headers.get('ratelimit-policy')).toContain('"per_minute";q=2');
    expect(await last!.json()).toMatchObject({ code: 'rate_limited', plan: 'tiny' });
  });

  it('records usage for the verified requests', async () => {
    const before = embedded.signet.server.usage.health().buffered;
    await fetch(host.url + '/reports', { headers: { Authorization: await reader.sign('GET', '/reports') } });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(embedded.signet.server.usage.health().buffered).toBeGreaterThan(before);
  });
});

describe.each(Object.keys(HOSTS))('the %s adapter behind the per-address failure gate', (name) => {
  const LIMIT = 3;
  let embedded: Embedded;
  let reader: EmbeddedConsumer;
  let serve: Host;
  const hosts: Host[] = [];
  const clients: AddressedFetch[] = [];

  beforeAll(async () => {
    const clock = windowStartClock();
    embedded = await startEmbedded({ authFailureLimit: LIMIT, authFailureWindowSeconds: 60, clockSkewSeconds: CLOCK_SKEW }, clock);
    reader = await embedded.addConsumer({ name: 'reader', scopes: ['reports:read'] });
    // Signet's own app on the same instance: what `signet serve` answers, from the same counters.
    serve = await listen(createServer(embedded.signet.app.callback()));
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    for (const host of hosts) await host.close();
    await serve?.close();
    await embedded?.close();
  });

  const from = (address: string) => {
    const client = fetchFrom(address);
    clients.push(client);
    return client;
  };
  const signed = async (path = '/reports') => ({ Authorization: await reader.sign('GET', path) });

  it('after the limit of failures from one address refuses a valid request from it as serve does, and still serves another address', async () => {
    const host = await HOSTS[name]!(embedded.signet);
    hosts.push(host);
    const attacker = from('127.0.0.2');
    for (let i = 0; i < LIMIT; i += 1) {
      // A forged X-Forwarded-For changes nothing: this host trusts no proxy.
      const bad = await attacker.fetch(host.url + '/reports', { headers: { Authorization: 'Signet not.a.token', 'X-Forwarded-For': `198.51.100.${i}` } });
      expect(bad.status).toBe(401);
    }
    const replayEntries = embedded.signet.stores.replay.size();
    const refused = await attacker.fetch(host.url + '/reports', { headers: await signed() });
    const served = await attacker.fetch(serve.url + '/v1/whoami', { headers: await signed('/v1/whoami') });
    const adapterAnswer = await gateRefusal(refused);
    expect(adapterAnswer).toMatchObject({
      status: 429,
      retryAfter: '60',
      rateLimitPolicy: `"auth_failures";q=${LIMIT};w=60`,
      code: 'rate_limited',
      policy: 'auth_failures',
      limit: LIMIT,
      retry_after: 60,
    });
    expect(adapterAnswer).toEqual(await gateRefusal(served));
    // Refused before verification: the valid token's nonce was not spent.
    expect(embedded.signet.stores.replay.size()).toBe(replayEntries);
    const other = await from('127.0.0.3').fetch(host.url + '/reports', { headers: await signed() });
    expect(other.status).toBe(200);
  });

  it("with the framework's trusted-proxy setting, counts the forwarded client address, not the proxy's", async () => {
    const host = await HOSTS[name]!(embedded.signet, { trustProxy: true });
    hosts.push(host);
    const proxy = from('127.0.0.1');
    for (let i = 0; i < LIMIT; i += 1) {
      expect((await proxy.fetch(host.url + '/reports', { headers: { Authorization: 'Signet not.a.token', 'X-Forwarded-For': '203.0.113.9' } })).status).toBe(401);
    }
    const refused = await proxy.fetch(host.url + '/reports', { headers: { ...(await signed()), 'X-Forwarded-For': '203.0.113.9' } });
    expect(await gateRefusal(refused)).toMatchObject({ status: 429, retryAfter: '60', code: 'rate_limited', policy: 'auth_failures' });
    const neighbour = await proxy.fetch(host.url + '/reports', { headers: { ...(await signed()), 'X-Forwarded-For': '203.0.113.10' } });
    expect(neighbour.status).toBe(200);
  });
});
