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
import { forwardAuthServerBlock, hasAuthRequest, startNginx, type RunningNginx } from '../helpers/nginx.js';
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
    nginx = await startNginx(port, forwardAuthServerBlock(forwardAuth.url, upstream.url));
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

  it('keeps unsigned, forged, replayed, over-limit and body-carrying requests away from the upstream', async () => {
    const limited = await consumerWithKeyFile(forwardAuth.signet, 'limited', 'tiny');
    expect((await fetch(nginx.url + '/pets', { headers: { Authorization: await limited.sign('GET', '/pets') } })).status).toBe(200);
    const used = await alice.sign('GET', '/pets');
    expect((await fetch(nginx.url + '/pets', { headers: { Authorization: used } })).status).toBe(200);
    const statuses: number[] = [];
    const count = await reached(async () => {
      const unsigned = await fetch(nginx.url + '/pets');
      statuses.push(unsigned.status);
      expect(unsigned.headers.get('www-authenticate')).toContain('error="missing_token"');
      const token = await alice.sign('GET', '/pets');
      statuses.push((await fetch(nginx.url + '/pets', { headers: { Authorization: token.slice(0, -4) + (token.endsWith('AAAA') ? 'BBBB' : 'AAAA') } })).status);
      statuses.push((await fetch(nginx.url + '/pets', { headers: { Authorization: used } })).status);
      // nginx turns any auth answer other than 401 and 403 (here Signet's 429 and 400) into its own 500.
      statuses.push((await fetch(nginx.url + '/pets', { headers: { Authorization: await limited.sign('GET', '/pets') } })).status);
      const body = '{"name":"Rex"}';
      statuses.push((await fetch(nginx.url + '/pets', { method: 'POST', body, headers: { Authorization: await alice.sign('POST', '/pets', body) } })).status);
      statuses.push((await fetch(nginx.url + '/pets/../admin', { headers: { Authorization: await alice.sign('GET', '/pets/../admin') } })).status);
    });
    expect(statuses.slice(0, 3)).toEqual([401, 401, 401]);
    expect(statuses.slice(3).every((status) => status >= 400)).toBe(true);
    expect(count).toBe(0);
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
