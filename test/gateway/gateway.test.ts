import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, type Config } from '../../src/config.js';
import { startGateway, type RunningGateway } from '../../src/gateway/start.js';
import { buildPlans } from '../../src/plans.js';
import { silentLogger } from '../../src/server/logger.js';
import { addConsumerTo, type EmbeddedConsumer } from '../helpers/embedded.js';
import { hasPython, reachedUpstream, startEchoUpstream, type EchoUpstream, type Echoed } from '../helpers/echo-upstream.js';
import { CLOCK_SKEW, fetchFrom, gateRefusal, windowStartClock, type AddressedFetch } from '../helpers/from-address.js';
import { rawRequest } from '../helpers/raw-http.js';
import { suiteRuns } from '../helpers/optional-suites.js';

const runs = suiteRuns('the gateway suite', hasPython ? undefined : '/usr/bin/python3 is missing (the echo upstream)');
const dir = mkdtempSync(join(tmpdir(), 'signet-gateway-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ROUTES = `# the test API
GET        /pets           pets:read
POST,PUT   /pets/:id       pets:write
GET        /public/*       public
*          /files/*        signed        forward-authorization
GET        /slow           signed
`;

function gatewayConfig(overrides: Partial<Config>): Readonly<Config> {
  const routes = join(dir, 'routes.txt');
  writeFileSync(routes, ROUTES);
  return loadConfig(
    {
      db: ':memory:',
      port: 0,
      gatewayPort: 0,
      publicOrigin: 'https://api.example.test',
      logLevel: 'silent',
      authFailureLimit: 0,
      bodyLimitBytes: 4096,
      gatewayRoutesFile: routes,
      gatewayUpstreamTimeoutMs: 1000,
      plans: buildPlans({ tiny: { windows: [{ name: 'per_minute', limit: 2, window: '1m' }] } }),
      ...overrides,
    },
    {},
  );
}

describe.runIf(runs)('signet gateway in front of an API in another language', () => {
  let upstream: EchoUpstream;
  let gw: RunningGateway;
  let reader: EmbeddedConsumer;
  let writer: EmbeddedConsumer;

  beforeAll(async () => {
    upstream = await startEchoUpstream();
    gw = await startGateway(gatewayConfig({ gatewayUpstream: upstream.url }), { logger: silentLogger() });
    reader = await addConsumerTo(gw.signet, { name: 'reader', scopes: ['pets:read'] });
    writer = await addConsumerTo(gw.signet, { name: 'Zoë Writer', scopes: ['pets:write'] });
  });
  afterAll(async () => {
    await gw?.close();
    await upstream?.close();
  });

  const reached = (send: () => Promise<unknown>) => reachedUpstream(upstream, send);

  it('forwards a signed request with the identity headers, forged ones stripped and Authorization withheld', async () => {
    const response = await fetch(gw.url + '/pets?limit=2', {
      headers: { Authorization: await reader.sign('GET', '/pets?limit=2'), 'Signet-Consumer-Id': 'con_forged', 'signet-scopes': 'admin', 'X-Forwarded-For': '6.6.6.6' },
    });
    expect(response.status).toBe(200);
    const echoed = (await response.json()) as Echoed;
    expect(echoed.path).toBe('/pets?limit=2');
    expect(echoed.headers).toMatchObject({
      'signet-consumer-id': reader.consumerId,
      'signet-consumer-name': 'reader',
      'signet-key-id': reader.kid,
      'signet-scopes': 'pets:read',
      'signet-mode': 'ed25519',
      'x-forwarded-proto': 'https',
      'x-forwarded-for': '127.0.0.1',
    });
    expect(echoed.headers.authorization).toBeUndefined();
    expect(echoed.headers['request-id']).toBe(response.headers.get('request-id'));
  });

  it('forwards the body byte for byte and encodes a non-ASCII consumer name', async () => {
    const body = Buffer.from('{"name": "Rex",\n "tags":["dog"] }');
    const response = await fetch(gw.url + '/pets/7', { method: 'PUT', headers: { 'Content-Type': 'application/json', Authorization: await writer.sign('PUT', '/pets/7', body) }, body });
    expect(response.status).toBe(200);
    const echoed = (await response.json()) as Echoed;
    expect(Buffer.from(echoed.body_b64, 'base64').equals(body)).toBe(true);
    expect(echoed.headers['content-type']).toBe('application/json');
    expect(decodeURIComponent(echoed.headers['signet-consumer-name']!)).toBe('Zoë Writer');
  });

  it('forwards Authorization only on a route that asks for it', async () => {
    const authorization = await reader.sign('GET', '/files/a.txt');
    const echoed = (await (await fetch(gw.url + '/files/a.txt', { headers: { Authorization: authorization } })).json()) as Echoed;
    expect(echoed.headers.authorization).toBe(authorization);
  });

  it('forwards a public route without a signature, still stripping forged identity headers', async () => {
    const response = await fetch(gw.url + '/public/logo.png', { headers: { 'Signet-Consumer-Id': 'con_forged' } });
    expect(response.status).toBe(200);
    const echoed = (await response.json()) as Echoed;
    expect(echoed.headers['signet-consumer-id']).toBeUndefined();
  });

  it('never lets an unsigned, forged, replayed, out-of-scope or unlisted request reach the upstream', async () => {
    const statuses: number[] = [];
    const send = async (path: string, init: RequestInit = {}) => statuses.push((await fetch(gw.url + path, init)).status);
    const replayed = await reader.sign('GET', '/pets');
    await send('/pets', { headers: { Authorization: replayed } });
    const count = await reached(async () => {
      await send('/pets');
      const token = await reader.sign('GET', '/pets');
      await send('/pets', { headers: { Authorization: token.slice(0, -4) + (token.endsWith('AAAA') ? 'BBBB' : 'AAAA') } });
      await send('/pets', { headers: { Authorization: replayed } });
      await send('/pets', { headers: { Authorization: await writer.sign('GET', '/pets') } });
      await send('/admin', { headers: { Authorization: await reader.sign('GET', '/admin') } });
      await send('/pets', { method: 'DELETE', headers: { Authorization: await reader.sign('DELETE', '/pets') } });
    });
    expect(statuses).toEqual([200, 401, 401, 401, 403, 404, 404]);
    expect(count).toBe(0);
  });

  it('answers 429 once the consumer plan is used up, without reaching the upstream', async () => {
    const limited = await addConsumerTo(gw.signet, { name: 'limited', scopes: ['pets:read'], plan: 'tiny' });
    for (let i = 0; i < 2; i += 1) expect((await fetch(gw.url + '/pets', { headers: { Authorization: await limited.sign('GET', '/pets') } })).status).toBe(200);
    let refused: Response | undefined;
    expect(await reached(async () => (refused = await fetch(gw.url + '/pets', { headers: { Authorization: await limited.sign('GET', '/pets') } })))).toBe(0);
    expect(refused!.status).toBe(429);
    expect(refused!.headers.get('retry-after')).toMatch(/^\d+$/);
  });

  it('refuses a body over the limit with 413 before reaching the upstream', async () => {
    const body = 'x'.repeat(5000);
    let response: Response | undefined;
    expect(await reached(async () => (response = await fetch(gw.url + '/pets/1', { method: 'POST', headers: { Authorization: await writer.sign('POST', '/pets/1', body) }, body })))).toBe(0);
    expect(response!.status).toBe(413);
    expect(await response!.json()).toMatchObject({ code: 'payload_too_large' });
  });

  it.each(['/public/../pets', '/public/%2e%2e/pets', '//pets', '/public/x%2F..%2Fpets', '/public\\..\\pets', '/files/./a.txt', 'http://evil.example/pets'])(
    'refuses the path trick %s with 400 before any route or upstream sees it',
    async (path) => {
      let status = 0;
      const count = await reached(async () => {
        const answer = await rawRequest(gw.url, `GET ${path} HTTP/1.1\r\nHost: api.example.test\r\nAuthorization: ${await reader.sign('GET', '/pets')}\r\nConnection: close\r\n\r\n`);
        status = answer.status;
      });
      expect(status).toBe(400);
      expect(count).toBe(0);
    },
  );

  it('refuses a WebSocket upgrade with 501 not_implemented', async () => {
    const answer = await rawRequest(
      gw.url,
      'GET /pets HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
    );
    expect(answer.status).toBe(501);
    expect(JSON.parse(answer.body)).toMatchObject({ code: 'not_implemented' });
  });

  it('answers 504 upstream_timeout when the upstream is too slow', async () => {
    const response = await fetch(gw.url + '/slow', { headers: { Authorization: await reader.sign('GET', '/slow') } });
    expect(response.status).toBe(504);
    expect(await response.json()).toMatchObject({ code: 'upstream_timeout' });
  });

  it("keeps Signet's own app on the admin port", async () => {
    expect((await fetch(gw.adminUrl + '/healthz')).status).toBe(200);
    expect((await fetch(gw.url + '/healthz')).status).toBe(404);
  });
});

describe.runIf(runs)('signet gateway failures', () => {
  it('answers 502 upstream_unavailable when nothing listens upstream', async () => {
    const gw = await startGateway(gatewayConfig({ gatewayUpstream: 'http://127.0.0.1:9' }), { logger: silentLogger() });
    try {
      const c = await addConsumerTo(gw.signet, { scopes: ['pets:read'] });
      const response = await fetch(gw.url + '/pets', { headers: { Authorization: await c.sign('GET', '/pets') } });
      expect(response.status).toBe(502);
      expect(await response.json()).toMatchObject({ code: 'upstream_unavailable' });
    } finally {
      await gw.close();
    }
  });

  it('closes at once although a client never finishes its headers (the same drain as signet serve)', async () => {
    const upstream = await startEchoUpstream();
    // A header timeout far longer than the test: only the drain can end this connection.
    const gw = await startGateway(gatewayConfig({ gatewayUpstream: upstream.url, headersTimeoutMs: 120_000, requestTimeoutMs: 120_000, shutdownGraceMs: 60_000 }), { logger: silentLogger() });
    try {
      const { port } = new URL(gw.url);
      const socket = connect(Number(port), '127.0.0.1');
      socket.on('error', () => undefined);
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
      socket.write('GET /pets HTTP/1.1\r\nHost: x\r\n');
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      // The test's own time limit is below the 120 s header timeout: only a drain that closes the
      // half-sent connection lets close() finish in time.
      await gw.close();
      await closed;
      expect(socket.destroyed).toBe(true);
    } finally {
      await gw.close();
      await upstream.close();
    }
  }, 90_000);

  it('refuses to start with a malformed routes file, naming the file and line', async () => {
    const routes = join(dir, 'bad-routes.txt');
    writeFileSync(routes, '# ok\nGET /pets pets:read\nGET pets pets:read\n');
    const config = loadConfig({ db: ':memory:', port: 0, gatewayPort: 0, logLevel: 'silent', gatewayUpstream: 'http://127.0.0.1:9', gatewayRoutesFile: routes }, {});
    const failure = await startGateway(config).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ConfigError);
    expect((failure as Error).message).toContain(`${routes}:3: the path "pets" must start with /`);
  });
});

describe.runIf(runs)('signet gateway behind the per-address failure gate', () => {
  const LIMIT = 3;
  let upstream: EchoUpstream;
  const clients: AddressedFetch[] = [];
  const running: RunningGateway[] = [];

  beforeAll(async () => {
    upstream = await startEchoUpstream();
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    for (const gw of running) await gw.close();
    await upstream?.close();
  });

  const from = (address: string) => {
    const client = fetchFrom(address);
    clients.push(client);
    return client;
  };
  const start = async (overrides: Partial<Config> = {}) => {
    const clock = windowStartClock();
    const gw = await startGateway(gatewayConfig({ gatewayUpstream: upstream.url, authFailureLimit: LIMIT, authFailureWindowSeconds: 60, clockSkewSeconds: CLOCK_SKEW, ...overrides }), {
      logger: silentLogger(),
      clock,
    });
    running.push(gw);
    return { gw, reader: await addConsumerTo(gw.signet, { name: 'reader', scopes: ['pets:read'] }) };
  };

  it('after the limit of failures from one address refuses its valid request as serve does, without reaching the upstream, and serves another address', async () => {
    const { gw, reader } = await start();
    const attacker = from('127.0.0.2');
    for (let i = 0; i < LIMIT; i += 1) expect((await attacker.fetch(gw.url + '/pets', { headers: { Authorization: 'Signet not.a.token' } })).status).toBe(401);
    let refused: Awaited<ReturnType<AddressedFetch['fetch']>> | undefined;
    expect(await reachedUpstream(upstream, async () => (refused = await attacker.fetch(gw.url + '/pets', { headers: { Authorization: await reader.sign('GET', '/pets') } })))).toBe(0);
    // Signet's own app (the admin port) shares the counters: its answer is serve's.
    const served = await attacker.fetch(gw.adminUrl + '/v1/whoami', { headers: { Authorization: await reader.sign('GET', '/v1/whoami') } });
    const gatewayAnswer = await gateRefusal(refused!);
    expect(gatewayAnswer).toMatchObject({ status: 429, retryAfter: '60', rateLimitPolicy: `"auth_failures";q=${LIMIT};w=60`, code: 'rate_limited', policy: 'auth_failures', retry_after: 60 });
    expect(gatewayAnswer).toEqual(await gateRefusal(served));
    const other = await from('127.0.0.3').fetch(gw.url + '/pets', { headers: { Authorization: await reader.sign('GET', '/pets') } });
    expect(other.status).toBe(200);
  });

  it('with SIGNET_TRUST_PROXY counts the X-Forwarded-For client as serve does, not the proxy', async () => {
    const { gw, reader } = await start({ trustProxy: true });
    const proxy = from('127.0.0.1');
    for (let i = 0; i < LIMIT; i += 1) expect((await proxy.fetch(gw.url + '/pets', { headers: { Authorization: 'Signet not.a.token', 'X-Forwarded-For': '203.0.113.9' } })).status).toBe(401);
    expect((await proxy.fetch(gw.url + '/pets', { headers: { Authorization: await reader.sign('GET', '/pets'), 'X-Forwarded-For': '203.0.113.9' } })).status).toBe(429);
    expect((await proxy.fetch(gw.url + '/pets', { headers: { Authorization: await reader.sign('GET', '/pets'), 'X-Forwarded-For': '203.0.113.10' } })).status).toBe(200);
  });
});
