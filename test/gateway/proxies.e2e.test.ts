import { execFile as execFileCallback, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort } from '../helpers/free-port.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveKeyPair } from '../../src/client/key-file.js';
import { createSignedFetch } from '../../src/client/signed-fetch.js';
import { loadConfig, type Config } from '../../src/config.js';
import { startForwardAuth, startGateway, type RunningForwardAuth, type RunningGateway } from '../../src/gateway/start.js';
import { buildPlans } from '../../src/plans.js';
import { signRequest } from '../../src/client/sign.js';
import { silentLogger } from '../../src/server/logger.js';
import { disposeCli, runCli } from '../helpers/cli-process.js';
import { addConsumerTo, type EmbeddedConsumer } from '../helpers/embedded.js';
import { hasPython, PYTHON, reachedUpstream, startEchoUpstream, type EchoUpstream, type Echoed } from '../helpers/echo-upstream.js';
import { forwardAuthNginxConfig, hasAuthRequest, startNginx, type RunningNginx } from '../helpers/nginx.js';
import { CLOCK_SKEW, fetchFrom, gateRefusal, windowStartClock, type AddressedFetch } from '../helpers/from-address.js';
import { suiteRuns } from '../helpers/optional-suites.js';

const execFile = promisify(execFileCallback);
const PYJWT_CLIENT = fileURLToPath(new URL('../interop/pyjwt_client.py', import.meta.url));
const hasPyJwt = hasPython && spawnSync(PYTHON, ['-c', 'import jwt, cryptography']).status === 0;
const runs =
  suiteRuns('the nginx + forward-auth and gateway end-to-end suite', hasAuthRequest() ? undefined : 'nginx with auth_request is missing (apt-get install nginx-light)') &&
  suiteRuns('the nginx + forward-auth and gateway end-to-end suite', hasPyJwt ? undefined : '/usr/bin/python3 with PyJWT is missing (apt-get install python3-jwt python3-cryptography)');

const dir = mkdtempSync(join(tmpdir(), 'signet-proxies-'));
afterAll(() => {
  disposeCli();
  rmSync(dir, { recursive: true, force: true });
});

const ROUTES = 'GET /pets pets:read\nPOST /pets pets:read\nGET /open public\n';

function config(overrides: Partial<Config>): Readonly<Config> {
  const routes = join(dir, 'routes.txt');
  writeFileSync(routes, ROUTES);
  return loadConfig(
    {
      db: ':memory:',
      port: 0,
      gatewayPort: 0,
      forwardAuthPort: 0,
      logLevel: 'silent',
      authFailureLimit: 0,
      gatewayRoutesFile: routes,
      plans: buildPlans({ tiny: { windows: [{ name: 'per_minute', limit: 1, window: '1m' }] } }),
      ...overrides,
    },
    {},
  );
}

/** A consumer with its key in a PEM file, for the CLI and the PyJWT client. */
async function consumerWithKeyFile(signet: RunningGateway['signet'], name: string, plan?: string) {
  const consumer = await addConsumerTo(signet, { name, scopes: ['pets:read'], ...(plan !== undefined ? { plan } : {}) });
  const keyFile = join(dir, `${name}.pem`);
  await saveKeyPair(consumer.pair, keyFile, { format: 'pem' });
  return { ...consumer, keyFile };
}

/** The three independent signers of the proof: the client kit, the CLI, the PyJWT client. */
async function signedBy(who: 'client kit' | 'CLI' | 'PyJWT', base: string, consumer: EmbeddedConsumer & { keyFile: string }, path: string): Promise<{ status: number; body: unknown }> {
  if (who === 'client kit') {
    const signedFetch = createSignedFetch({ key: consumer.pair, kid: consumer.kid });
    const response = await signedFetch(base + path);
    return { status: response.status, body: await response.json() };
  }
  if (who === 'CLI') {
    const result = await runCli(['request', 'GET', base + path, '--key', consumer.keyFile, '--kid', consumer.kid, '--json']);
    return JSON.parse(result.stdout) as { status: number; body: unknown };
  }
  const { stdout } = await execFile(PYTHON, [PYJWT_CLIENT, 'send', '--key', consumer.keyFile, '--kid', consumer.kid, '--url', base + path, '--aud', base, '--send-to', base + path]);
  const answer = JSON.parse(stdout) as { status: number; body: unknown };
  return { status: answer.status, body: typeof answer.body === 'string' ? JSON.parse(answer.body) : answer.body };
}

describe.runIf(runs)('nginx auth_request in front of signet forward-auth and a Python upstream', () => {
  let upstream: EchoUpstream;
  let forwardAuth: RunningForwardAuth;
  let nginx: RunningNginx;
  let alice: EmbeddedConsumer & { keyFile: string };

  beforeAll(async () => {
    upstream = await startEchoUpstream();
    const port = await freePort();
    // Tokens are bound to the URL clients call: nginx's.
    forwardAuth = await startForwardAuth(config({ publicOrigin: `http://127.0.0.1:${port}` }), { logger: silentLogger() });
    nginx = await startNginx(port, forwardAuthNginxConfig(forwardAuth.url, upstream.url));
    alice = await consumerWithKeyFile(forwardAuth.signet, 'alice');
  }, 60_000);
  afterAll(async () => {
    await nginx?.stop();
    await forwardAuth?.close();
    await upstream?.close();
  });

  const reached = (send: () => Promise<unknown>) => reachedUpstream(upstream, send);

  it.each(['client kit', 'CLI', 'PyJWT'] as const)(
    'lets a request signed by the %s reach the upstream with the identity headers',
    async (who) => {
      let answer: { status: number; body: unknown } | undefined;
      expect(await reached(async () => (answer = await signedBy(who, nginx.url, alice, '/pets?page=1')))).toBe(1);
      expect(answer!.status).toBe(200);
      const echoed = answer!.body as Echoed;
      expect(echoed.path).toBe('/pets?page=1');
      expect(echoed.headers).toMatchObject({
        'signet-consumer-id': alice.consumerId,
        'signet-consumer-name': 'alice',
        'signet-key-id': alice.kid,
        'signet-scopes': 'pets:read',
        'signet-mode': 'ed25519',
      });
      expect(echoed.headers.authorization).toBeUndefined();
    },
    60_000,
  );

  it('strips identity headers a client forges', async () => {
    const response = await fetch(nginx.url + '/pets', { headers: { Authorization: await alice.sign('GET', '/pets'), 'Signet-Consumer-Id': 'con_forged', 'Signet-Scopes': 'admin' } });
    const echoed = (await response.json()) as Echoed;
    expect(echoed.headers['signet-consumer-id']).toBe(alice.consumerId);
    expect(echoed.headers['signet-scopes']).toBe('pets:read');
    const open = (await (await fetch(nginx.url + '/open', { headers: { 'Signet-Consumer-Id': 'con_forged' } })).json()) as Echoed;
    expect(open.headers['signet-consumer-id']).toBeUndefined();
  });

  it('keeps unsigned, forged, replayed, over-limit, body-carrying and path-trick requests away from the upstream', async () => {
    const limited = await consumerWithKeyFile(forwardAuth.signet, 'limited', 'tiny');
    expect((await fetch(nginx.url + '/pets', { headers: { Authorization: await limited.sign('GET', '/pets') } })).status).toBe(200);
    const used = await alice.sign('GET', '/pets');
    expect((await fetch(nginx.url + '/pets', { headers: { Authorization: used } })).status).toBe(200);
    const answers: Response[] = [];
    const count = await reached(async () => {
      answers.push(await fetch(nginx.url + '/pets'));
      const token = await alice.sign('GET', '/pets');
      answers.push(await fetch(nginx.url + '/pets', { headers: { Authorization: token.slice(0, -4) + (token.endsWith('AAAA') ? 'BBBB' : 'AAAA') } }));
      answers.push(await fetch(nginx.url + '/pets', { headers: { Authorization: used } }));
      answers.push(await fetch(nginx.url + '/pets', { headers: { Authorization: await limited.sign('GET', '/pets') } }));
      const body = '{"name":"Rex"}';
      answers.push(await fetch(nginx.url + '/pets', { method: 'POST', body, headers: { Authorization: await alice.sign('POST', '/pets', body) } }));
      answers.push(await fetch(nginx.url + '/pets%2F..%2Fadmin', { headers: { Authorization: await alice.sign('GET', '/pets%2F..%2Fadmin') } }));
      answers.push(await fetch(nginx.url + '/admin', { headers: { Authorization: await alice.sign('GET', '/admin') } }));
    });
    expect(count).toBe(0);
    const problems = await Promise.all(answers.map(async (answer) => ({ ...((await answer.json()) as { code: string }), status: answer.status, contentType: answer.headers.get('content-type') })));
    // Each refusal keeps Signet's status and comes with Signet's problem body, whatever nginx makes of auth answers.
    expect(problems.map(({ status, code }) => [status, code])).toEqual([
      [401, 'missing_token'],
      [401, 'invalid_token'],
      [401, 'token_replayed'],
      [429, 'rate_limited'],
      [400, 'invalid_request'],
      [400, 'invalid_request'],
      [404, 'not_found'],
    ]);
    expect(problems.map(({ contentType }) => contentType)).toEqual(Array(7).fill('application/problem+json'));
    // Exactly one challenge each (a second one, from auth_request itself, would be joined here with a comma).
    expect(answers.slice(0, 3).map((answer) => answer.headers.get('www-authenticate'))).toEqual([
      'Signet realm="signet", error="missing_token"',
      'Signet realm="signet", error="invalid_token"',
      'Signet realm="signet", error="token_replayed"',
    ]);
    const overLimit = answers[3]!;
    expect(overLimit.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
    expect(problems[3]).toMatchObject({ retry_after: Number(overLimit.headers.get('retry-after')) });
    expect(overLimit.headers.get('ratelimit-policy')).toBe('"per_minute";q=1;w=60');
    expect(overLimit.headers.get('www-authenticate')).toBeNull();
  });

  it('renders only codes of the closed list at the refusal endpoint, echoing no text', async () => {
    const render = (headers: Record<string, string>) => fetch(forwardAuth.url + '/_signet/refusal', { headers });
    const odd = await render({ 'Signet-Error-Code': '<script>alert(1)</script>', 'Retry-After': 'soon', 'Request-Id': 'hello' });
    expect(odd.status).toBe(400);
    expect(await odd.text()).not.toContain('script');
    const limited = await render({ 'Signet-Error-Code': 'rate_limited', 'Retry-After': '12; evil', 'Request-Id': 'not-a-uuid' });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBeNull();
    const body = (await limited.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ code: 'rate_limited', title: 'Too many requests.' });
    expect(body.request_id).not.toBe('not-a-uuid');
  });
});

describe.runIf(runs)('nginx + forward-auth behind the per-address failure gate', () => {
  const LIMIT = 3;
  let upstream: EchoUpstream;
  let forwardAuth: RunningForwardAuth;
  let nginx: RunningNginx;
  let alice: EmbeddedConsumer;
  const clients: AddressedFetch[] = [];

  beforeAll(async () => {
    upstream = await startEchoUpstream();
    const port = await freePort();
    const clock = windowStartClock();
    forwardAuth = await startForwardAuth(config({ publicOrigin: `http://127.0.0.1:${port}`, authFailureLimit: LIMIT, authFailureWindowSeconds: 60, clockSkewSeconds: CLOCK_SKEW }), {
      logger: silentLogger(),
      clock,
    });
    nginx = await startNginx(port, forwardAuthNginxConfig(forwardAuth.url, upstream.url));
    alice = await addConsumerTo(forwardAuth.signet, { name: 'alice', scopes: ['pets:read'] });
  }, 60_000);
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await nginx?.stop();
    await forwardAuth?.close();
    await upstream?.close();
  });

  const from = (address: string) => {
    const client = fetchFrom(address);
    clients.push(client);
    return client;
  };

  it('after the limit of failures from one client address refuses its valid request with the 429 serve answers, and serves another address', async () => {
    const attacker = from('127.0.0.2');
    for (let i = 0; i < LIMIT; i += 1) {
      // A forged X-Forwarded-For is to the left of what nginx appends: it changes nothing.
      const bad = await attacker.fetch(nginx.url + '/pets', { headers: { Authorization: 'Signet not.a.token', 'X-Forwarded-For': `198.51.100.${i}` } });
      expect(bad.status).toBe(401);
    }
    let refused: Awaited<ReturnType<AddressedFetch['fetch']>> | undefined;
    expect(await reachedUpstream(upstream, async () => (refused = await attacker.fetch(nginx.url + '/pets', { headers: { Authorization: await alice.sign('GET', '/pets') } })))).toBe(0);
    expect(refused!.status).toBe(429);
    expect(refused!.headers.get('content-type')).toBe('application/problem+json');
    expect(refused!.headers.get('retry-after')).toBe('60');
    expect(refused!.headers.get('ratelimit-policy')).toBe(`"auth_failures";q=${LIMIT};w=60`);
    expect(await refused!.json()).toMatchObject({ status: 429, code: 'rate_limited', retry_after: 60 });
    const other = await from('127.0.0.3').fetch(nginx.url + '/pets', { headers: { Authorization: await alice.sign('GET', '/pets') } });
    expect(other.status).toBe(200);
  });
});

describe.runIf(runs)('forward-auth as Traefik and Caddy call it (X-Forwarded-Method / -Uri)', () => {
  let forwardAuth: RunningForwardAuth;
  let alice: EmbeddedConsumer;
  const origin = 'https://api.example.test';

  beforeAll(async () => {
    forwardAuth = await startForwardAuth(config({ publicOrigin: origin, forwardAuthBody: 'digest' }), { logger: silentLogger() });
    alice = await addConsumerTo(forwardAuth.signet, { name: 'alice', scopes: ['pets:read'] });
  });
  afterAll(async () => forwardAuth?.close());

  const check = (method: string, uri: string, headers: Record<string, string>) =>
    fetch(forwardAuth.url + '/check', { headers: { 'X-Forwarded-Method': method, 'X-Forwarded-Uri': uri, 'X-Forwarded-Host': 'api.example.test', ...headers } });

  it('in digest mode, accepts a body whose Content-Digest the token binds and answers the identity headers', async () => {
    const body = '{"name":"Rex"}';
    const digest = `sha-256=:${(await import('node:crypto')).createHash('sha256').update(body).digest('base64')}:`;
    const response = await check('POST', '/pets', { Authorization: await alice.sign('POST', '/pets', body), 'Content-Digest': digest, 'X-Original-Content-Length': String(body.length) });
    expect(response.status).toBe(200);
    expect(response.headers.get('signet-consumer-id')).toBe(alice.consumerId);
  });

  it('in digest mode, refuses a Content-Digest other than the signed body', async () => {
    const digest = `sha-256=:${Buffer.alloc(32, 7).toString('base64')}:`;
    const response = await check('POST', '/pets', { Authorization: await alice.sign('POST', '/pets', '{"name":"Rex"}'), 'Content-Digest': digest, 'X-Original-Content-Length': '14' });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ code: 'binding_mismatch' });
  });

  it('in digest mode, refuses a body announced without Content-Digest', async () => {
    const response = await check('POST', '/pets', { Authorization: await alice.sign('POST', '/pets', 'x'), 'X-Original-Content-Length': '1' });
    expect(response.status).toBe(400);
  });

  it('binds the original method: a GET token does not pass as a POST', async () => {
    const response = await check('POST', '/pets', { Authorization: await alice.sign('GET', '/pets') });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ code: 'binding_mismatch' });
  });
});

describe.runIf(runs)('forward-auth behind the per-address failure gate, as Traefik and Caddy call it', () => {
  const LIMIT = 2;
  let forwardAuth: RunningForwardAuth;
  let alice: EmbeddedConsumer;
  const origin = 'https://api.example.test';

  beforeAll(async () => {
    const clock = windowStartClock();
    // SIGNET_TRUST_PROXY only so that Signet's own app (serve) sees the same client, for comparing answers.
    forwardAuth = await startForwardAuth(config({ publicOrigin: origin, authFailureLimit: LIMIT, authFailureWindowSeconds: 60, clockSkewSeconds: CLOCK_SKEW, trustProxy: true }), {
      logger: silentLogger(),
      clock,
    });
    alice = await addConsumerTo(forwardAuth.signet, { name: 'alice', scopes: ['pets:read'] });
  });
  afterAll(async () => forwardAuth?.close());

  const check = (headers: Record<string, string>) => fetch(forwardAuth.url + '/check', { headers: { 'X-Forwarded-Method': 'GET', 'X-Forwarded-Uri': '/pets', ...headers } });
  const valid = async () => ({ Authorization: await alice.sign('GET', '/pets') });

  it('counts the client the trusted proxy appended to X-Forwarded-For, whatever the client wrote before it, and refuses it as serve does', async () => {
    for (let i = 0; i < LIMIT; i += 1) {
      expect((await check({ Authorization: 'Signet not.a.token', 'X-Forwarded-For': `198.51.100.${i}, 203.0.113.5` })).status).toBe(401);
    }
    const refused = await check({ ...(await valid()), 'X-Forwarded-For': '10.9.9.9, 203.0.113.5' });
    const served = await fetch(forwardAuth.adminUrl + '/v1/whoami', { headers: { Authorization: await alice.sign('GET', '/v1/whoami'), 'X-Forwarded-For': '203.0.113.5' } });
    const answer = await gateRefusal(refused as never);
    expect(answer).toMatchObject({ status: 429, retryAfter: '60', code: 'rate_limited', policy: 'auth_failures', limit: LIMIT });
    expect(answer).toEqual(await gateRefusal(served as never));
    expect(refused.headers.get('signet-status')).toBe('429');
    expect(refused.headers.get('signet-error-code')).toBe('rate_limited');
    expect((await check({ ...(await valid()), 'X-Forwarded-For': '203.0.113.6' })).status).toBe(200);
  });

  it('takes X-Real-IP when the proxy sends no X-Forwarded-For', async () => {
    for (let i = 0; i < LIMIT; i += 1) expect((await check({ Authorization: 'Signet not.a.token', 'X-Real-IP': '203.0.113.7' })).status).toBe(401);
    expect((await check({ ...(await valid()), 'X-Real-IP': '203.0.113.7' })).status).toBe(429);
    expect((await check({ ...(await valid()), 'X-Real-IP': '203.0.113.8' })).status).toBe(200);
  });

  it('answers every refusal as 401 with the real status and code in headers when the proxy sends Signet-Refuse-As: 401', async () => {
    const notFound = await fetch(forwardAuth.url + '/check', { headers: { 'X-Forwarded-Method': 'GET', 'X-Forwarded-Uri': '/nowhere', 'Signet-Refuse-As': '401' } });
    expect(notFound.status).toBe(401);
    expect(notFound.headers.get('signet-status')).toBe('404');
    expect(notFound.headers.get('signet-error-code')).toBe('not_found');
    expect(notFound.headers.get('www-authenticate')).toBeNull();
    const plain = await fetch(forwardAuth.url + '/check', { headers: { 'X-Forwarded-Method': 'GET', 'X-Forwarded-Uri': '/nowhere' } });
    expect(plain.status).toBe(404);
  });
});

describe.runIf(runs)('signet gateway in front of the same Python upstream', () => {
  let upstream: EchoUpstream;
  let gateway: RunningGateway;
  let bob: EmbeddedConsumer & { keyFile: string };

  beforeAll(async () => {
    upstream = await startEchoUpstream();
    const port = await freePort();
    gateway = await startGateway(config({ gatewayPort: port, publicOrigin: `http://127.0.0.1:${port}`, gatewayUpstream: upstream.url }), { logger: silentLogger() });
    bob = await consumerWithKeyFile(gateway.signet, 'bob');
  });
  afterAll(async () => {
    await gateway?.close();
    await upstream?.close();
  });

  it.each(['client kit', 'CLI', 'PyJWT'] as const)(
    'forwards a request signed by the %s with the identity headers',
    async (who) => {
      const answer = await signedBy(who, gateway.url, bob, '/pets');
      expect(answer.status).toBe(200);
      expect((answer.body as Echoed).headers).toMatchObject({ 'signet-consumer-id': bob.consumerId, 'signet-key-id': bob.kid });
    },
    60_000,
  );

  it('forwards a signed POST body unchanged (the gateway sees and binds bodies)', async () => {
    const body = '{"name":"Rex"}';
    const signed = await signRequest({ method: 'POST', url: gateway.url + '/pets', body, key: { type: 'ed25519', privateKey: bob.pair.privateKey }, kid: bob.kid });
    const response = await fetch(gateway.url + '/pets', { method: 'POST', body, headers: { Authorization: signed.authorization } });
    expect(response.status).toBe(200);
    expect(Buffer.from(((await response.json()) as Echoed).body_b64, 'base64').toString()).toBe(body);
  });
});
