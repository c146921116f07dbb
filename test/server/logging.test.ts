import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { generateKeyPair, type Ed25519KeyPair } from '../../src/client/keys.js';
import { ManualClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { encodeBase64url } from '../../src/protocol/base64url.js';
import { PRESIGN_PARAM } from '../../src/protocol/format.js';
import { newConsumerId, newKeyId } from '../../src/protocol/ids.js';
import { jwkThumbprint } from '../../src/protocol/public-key.js';
import { signRequest } from '../../src/protocol/sign.js';
import { SignetError } from '../../src/protocol/errors.js';
import { createApp, type SignetApp } from '../../src/server/app.js';
import { createLogger } from '../../src/server/logger.js';
import { createStores, type Stores } from '../../src/store/factory.js';
import { T0 } from '../helpers/harness.js';

describe('structured logs', () => {
  const lines: string[] = [];
  let http: Server;
  let stores: Stores;
  let signet: SignetApp;
  let baseUrl: string;
  const origin = 'https://api.example.test';
  const clock = new ManualClock(T0);
  let pair: Ed25519KeyPair;
  let kid: string;

  beforeAll(async () => {
    const config = loadConfig({ db: ':memory:', port: 0, publicOrigin: origin, logLevel: 'info' }, {});
    stores = await createStores(config, clock);
    signet = createApp({ config, stores, clock, logger: createLogger('info', { write: (line: string) => void lines.push(line) }) });
    http = createServer(signet.app.callback());
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    pair = await generateKeyPair();
    kid = newKeyId();
    await stores.credentials.createConsumerWithKey(
      { id: newConsumerId(), name: 'logged' },
      { id: kid, consumerId: '', type: 'ed25519', publicKey: pair.publicKey, thumbprint: await jwkThumbprint(pair.publicKey) },
      clock.now(),
    );
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => http.close(() => resolve()));
    await signet.close();
    await stores.close();
  });

  const sign = async (method: string, path: string) =>
    (await signRequest({ method, url: origin + path, key: { type: 'ed25519', privateKey: pair.privateKey }, kid, now: clock.now() })).token;

  it('write one JSON line per request with its request id, and never the token, its signature or the key', async () => {
    lines.length = 0;
    const secrets: string[] = [encodeBase64url(pair.publicKey)];
    const requestIds: string[] = [];
    const send = async (path: string, headers: Record<string, string> = {}) => {
      const response = await fetch(baseUrl + path, { headers });
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

    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const access = records.filter((r) => r.msg === 'request');
    expect(access.map((r) => r.request_id)).toEqual(requestIds);
    expect(access.map((r) => [r.status, r.code])).toEqual([
      [200, 'ok'],
      [401, 'binding_mismatch'],
      [401, 'invalid_token'],
      [401, 'binding_mismatch'],
    ]);
    expect(access[0]).toMatchObject({ route: '/v1/whoami', path: '/v1/whoami', consumer_id: expect.stringMatching(/^con_/), key_id: kid, mode: 'ed25519' });
    const refusals = records.filter((r) => r.msg === 'request refused');
    expect(refusals.map((r) => r.request_id)).toEqual(requestIds.slice(1));
    for (const line of lines) {
      for (const secret of secrets) expect(line, 'a log line carries token or key material').not.toContain(secret);
    }
  });
});

describe('logs during an outage and on client hang-ups', () => {
  const lines: string[] = [];
  let http: Server;
  let stores: Stores;
  let signet: SignetApp;
  let baseUrl: string;
  const origin = 'https://api.example.test';
  const clock = new ManualClock(T0);
  let pair: Ed25519KeyPair;
  let kid: string;

  beforeAll(async () => {
    const config = loadConfig({ db: ':memory:', port: 0, publicOrigin: origin, logLevel: 'info', authFailureLimit: 0 }, {});
    const opened = await createStores(config, clock);
    // The replay cache (Redis in production) is down: every signed request is refused with 503.
    const downReplay = {
      checkAndSet: async () => {
        throw new SignetError('service_unavailable', { detail: 'The replay cache is unavailable.', privateDetail: `redis: connect ECONNREFUSED 127.0.0.1:${6379}` });
      },
      size: () => 0,
    };
    stores = { ...opened, replay: downReplay as unknown as Stores['replay'] };
    signet = createApp({ config, stores, clock, logger: createLogger('info', { write: (line: string) => void lines.push(line) }) });
    http = createServer(signet.app.callback());
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    pair = await generateKeyPair();
    kid = newKeyId();
    await stores.credentials.createConsumerWithKey(
      { id: newConsumerId(), name: 'logged' },
      { id: kid, consumerId: '', type: 'ed25519', publicKey: pair.publicKey, thumbprint: await jwkThumbprint(pair.publicKey) },
      clock.now(),
    );
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => http.close(() => resolve()));
    await signet.close();
    await stores.close();
  });

  const problems = () => lines.map((line) => JSON.parse(line)).filter((entry) => entry.level >= 40);

  it('write one warning with counts per interval while a dependency is down, never a stack trace per request', async () => {
    lines.length = 0;
    for (let i = 0; i < 40; i++) {
      const token = (await signRequest({ method: 'GET', url: origin + '/v1/whoami', key: { type: 'ed25519', privateKey: pair.privateKey }, kid, now: clock.now() })).authorization;
      expect((await fetch(baseUrl + '/v1/whoami', { headers: { Authorization: token } })).status).toBe(503);
    }
    expect(problems()).toHaveLength(1);
    expect(lines.join('\n')).not.toMatch(/"stack"|\n\s+at /);
    clock.advance(31_000);
    const token = (await signRequest({ method: 'GET', url: origin + '/v1/whoami', key: { type: 'ed25519', privateKey: pair.privateKey }, kid, now: clock.now() })).authorization;
    expect((await fetch(baseUrl + '/v1/whoami', { headers: { Authorization: token } })).status).toBe(503);
    const written = problems();
    expect(written).toHaveLength(2);
    expect(written[1]).toMatchObject({ level: 40, refused: 40, reasons: { 'service_unavailable: redis: connect ECONNREFUSED N.N.N.N:N': 40 } });
  });

  it('do not take a client that hangs up mid-body for a database outage', async () => {
    lines.length = 0;
    const { port } = new URL(baseUrl);
    await new Promise<void>((resolve) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.write('POST /v1/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nonly part of it');
        setTimeout(() => socket.destroy(), 200);
      });
      socket.on('close', () => resolve());
    });
    await vi.waitFor(() => expect(lines.some((line) => line.includes('"request_id"'))).toBe(true), { timeout: 10_000 });
    const text = lines.join('\n');
    expect(text).not.toMatch(/database|service_unavailable/);
    expect(problems()).toHaveLength(0);
  });
});
