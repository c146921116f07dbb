import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { generateKeyPair, type Ed25519KeyPair } from '../../src/client/keys.js';
import { ManualClock } from '../../src/clock.js';
import { loadConfig, type Config } from '../../src/config.js';
import { encodeBase64url } from '../../src/protocol/base64url.js';
import { PRESIGN_PARAM } from '../../src/protocol/format.js';
import { newConsumerId, newKeyId } from '../../src/protocol/ids.js';
import { jwkThumbprint } from '../../src/protocol/public-key.js';
import { signRequest } from '../../src/client/sign.js';
import { SignetError } from '../../src/protocol/errors.js';
import { createApp, type SignetApp } from '../../src/server/app.js';
import { createLogger } from '../../src/server/logger.js';
import { createStores, type Stores } from '../../src/store/factory.js';
import { T0 } from '../helpers/harness.js';

/** A real app on a socket writing its log lines into `lines`, with one consumer; `adapt` may swap a store. */
interface LoggedServer {
  lines: string[];
  clock: ManualClock;
  origin: string;
  stores: Stores;
  baseUrl: string;
  pair: Ed25519KeyPair;
  kid: string;
}

function withLoggedServer(overrides: Partial<Config> = {}, adapt: (stores: Stores) => Stores = (stores) => stores): LoggedServer {
  const s = { lines: [] as string[], clock: new ManualClock(T0), origin: 'https://api.example.test' } as LoggedServer;
  let http: Server;
  let signet: SignetApp;
  beforeAll(async () => {
    const config = loadConfig({ db: ':memory:', port: 0, publicOrigin: s.origin, logLevel: 'info', ...overrides }, {});
    s.stores = adapt(await createStores(config, s.clock));
    signet = createApp({ config, stores: s.stores, clock: s.clock, logger: createLogger('info', { write: (line: string) => void s.lines.push(line) }) });
    http = createServer(signet.app.callback());
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    s.baseUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    s.pair = await generateKeyPair();
    s.kid = newKeyId();
    await s.stores.credentials.createConsumerWithKey(
      { id: newConsumerId(), name: 'logged' },
      { id: s.kid, consumerId: '', type: 'ed25519', publicKey: s.pair.publicKey, thumbprint: await jwkThumbprint(s.pair.publicKey) },
      s.clock.now(),
    );
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => http.close(() => resolve()));
    await signet.close();
    await s.stores.close();
  });
  return s;
}

describe('structured logs', () => {
  const s = withLoggedServer();

  const sign = async (method: string, path: string) =>
    (await signRequest({ method, url: s.origin + path, key: { type: 'ed25519', privateKey: s.pair.privateKey }, kid: s.kid, now: s.clock.now() })).token;

  it('write one JSON line per request with its request id, and never the token, its signature or the key', async () => {
    s.lines.length = 0;
    const secrets: string[] = [encodeBase64url(s.pair.publicKey)];
    const requestIds: string[] = [];
    const send = async (path: string, headers: Record<string, string> = {}) => {
      const response = await fetch(s.baseUrl + path, { headers });
      requestIds.push(response.headers.get('request-id')!);
      return response.status;
    };

    const accepted = await sign('GET', '/v1/whoami');
    // Signed for another path: the signature verifies, then the binding is refused (401).
    const misbound = await sign('GET', '/v1/elsewhere');
    const forged = accepted.slice(0, -4) + (accepted.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    const presigned = await sign('GET', '/v1/echo');
    for (const token of [accepted, misbound, forged, presigned]) secrets.push(token, token.split('.')[2]!, token.split('.')[1]!);

    expect(await send('/v1/whoami', { Authorization: `Signet ${accepted}` })).toBe(200);
    expect(await send('/v1/whoami', { Authorization: `Signet ${misbound}` })).toBe(401);
    expect(await send('/v1/whoami', { Authorization: `Signet ${forged}` })).toBe(401);
    expect(await send(`/v1/whoami?${PRESIGN_PARAM}=${presigned}`)).toBe(401);

    const records = s.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const access = records.filter((r) => r.msg === 'request');
    expect(access.map((r) => r.request_id)).toEqual(requestIds);
    expect(access.map((r) => [r.status, r.code])).toEqual([
      [200, 'ok'],
      [401, 'binding_mismatch'],
      [401, 'invalid_token'],
      [401, 'binding_mismatch'],
    ]);
    expect(access[0]).toMatchObject({ route: '/v1/whoami', path: '/v1/whoami', consumer_id: expect.stringMatching(/^con_/), key_id: s.kid, mode: 'ed25519' });
    const refusals = records.filter((r) => r.msg === 'request refused');
    expect(refusals.map((r) => r.request_id)).toEqual(requestIds.slice(1));
    for (const line of s.lines) {
      for (const secret of secrets) expect(line, 'a log line carries token or key material').not.toContain(secret);
    }
  });
});

describe('logs during an outage and on client hang-ups', () => {
  // The replay cache (Redis in production) is down: every signed request is refused with 503.
  const downReplay = {
    checkAndSet: async () => {
      throw new SignetError('service_unavailable', { detail: 'The replay cache is unavailable.', privateDetail: `redis: connect ECONNREFUSED 127.0.0.1:${6379}` });
    },
    size: () => 0,
  };
  const downFreshTokens = { checkAndSetThenCount: downReplay.checkAndSet };
  const s = withLoggedServer({ authFailureLimit: 0 }, (opened) => ({ ...opened, replay: downReplay as unknown as Stores['replay'], freshTokens: downFreshTokens }));

  const problems = () => s.lines.map((line) => JSON.parse(line)).filter((entry) => entry.level >= 40);

  it('write one warning with counts per interval while a dependency is down, never a stack trace per request', async () => {
    s.lines.length = 0;
    for (let i = 0; i < 40; i++) {
      const token = (await signRequest({ method: 'GET', url: s.origin + '/v1/whoami', key: { type: 'ed25519', privateKey: s.pair.privateKey }, kid: s.kid, now: s.clock.now() })).authorization;
      expect((await fetch(s.baseUrl + '/v1/whoami', { headers: { Authorization: token } })).status).toBe(503);
    }
    expect(problems()).toHaveLength(1);
    expect(s.lines.join('\n')).not.toMatch(/"stack"|\n\s+at /);
    s.clock.advance(31_000);
    const token = (await signRequest({ method: 'GET', url: s.origin + '/v1/whoami', key: { type: 'ed25519', privateKey: s.pair.privateKey }, kid: s.kid, now: s.clock.now() })).authorization;
    expect((await fetch(s.baseUrl + '/v1/whoami', { headers: { Authorization: token } })).status).toBe(503);
    const written = problems();
    expect(written).toHaveLength(2);
    expect(written[1]).toMatchObject({ level: 40, refused: 40, reasons: { 'service_unavailable: redis: connect ECONNREFUSED N.N.N.N:N': 40 } });
  });

  it('do not take a client that hangs up mid-body for a database outage', async () => {
    s.lines.length = 0;
    const { port } = new URL(s.baseUrl);
    await new Promise<void>((resolve) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.write('POST /v1/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nonly part of it');
        setTimeout(() => socket.destroy(), 200);
      });
      socket.on('close', () => resolve());
    });
    await vi.waitFor(() => expect(s.lines.some((line) => line.includes('"request_id"'))).toBe(true), { timeout: 10_000 });
    const text = s.lines.join('\n');
    expect(text).not.toMatch(/database|service_unavailable/);
    expect(problems()).toHaveLength(0);
  });
});
