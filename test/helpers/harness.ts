import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ManualClock } from '../../src/clock.js';
import { loadConfig, type Config } from '../../src/config.js';
import { generateKeyPair, type Ed25519KeyPair } from '../../src/client/keys.js';
import { newConsumerId, newKeyId } from '../../src/protocol/ids.js';
import { jwkThumbprint } from '../../src/protocol/public-key.js';
import { signRequest, type SignRequestInput } from '../../src/protocol/sign.js';
import { createApp, type SignetApp } from '../../src/server/app.js';
import { silentLogger } from '../../src/server/logger.js';
import { createStores, type Stores } from '../../src/store/factory.js';
import type { KeyWithConsumer } from '../../src/store/types.js';

/** A fixed instant for tests: 2026-01-01T00:00:00Z. */
export const T0 = Date.UTC(2026, 0, 1);

export interface Harness {
  config: Readonly<Config>;
  clock: ManualClock;
  stores: Stores;
  signet: SignetApp;
  http: Server;
  /** Where the test server really listens (127.0.0.1:random). */
  baseUrl: string;
  /** The configured public origin tokens are bound to. */
  origin: string;
  addConsumer(name?: string, options?: { scopes?: string[] }): Promise<{ pair: Ed25519KeyPair; record: KeyWithConsumer; kid: string }>;
  /** Signs for the public origin and sends to the real listening socket. */
  send(request: SignedCall): Promise<Response>;
  sign(input: Omit<SignRequestInput, 'key' | 'kid' | 'url'> & { path: string; pair: Ed25519KeyPair; kid: string }): Promise<string>;
  close(): Promise<void>;
}

export interface SignedCall {
  method: string;
  path: string;
  body?: string | Uint8Array;
  pair: Ed25519KeyPair;
  kid: string;
  /** Overrides applied to what is signed (to test binding mismatches). */
  signed?: Partial<Pick<SignRequestInput, 'method' | 'url' | 'body' | 'audience' | 'lifetimeSeconds' | 'now' | 'jti'>>;
  headers?: Record<string, string>;
}

/** The real app on a real socket, on an in-memory SQLite database, with a manual clock. */
export async function startHarness(overrides: Partial<Config> = {}): Promise<Harness> {
  const clock = new ManualClock(T0);
  const config = loadConfig({ db: ':memory:', port: 0, publicOrigin: 'https://api.example.test', logLevel: 'silent', ...overrides }, {});
  const stores = await createStores(config, clock);
  const signet = createApp({ config, stores, clock, logger: silentLogger() });
  const http = createServer(signet.app.callback());
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const origin = config.publicOrigin;

  const harness: Harness = {
    config,
    clock,
    stores,
    signet,
    http,
    baseUrl,
    origin,
    async addConsumer(name = 'test-consumer', options = {}) {
      const pair = await generateKeyPair();
      const kid = newKeyId();
      const record = await stores.credentials.createConsumerWithKey(
        { id: newConsumerId(), name },
        { id: kid, consumerId: '', type: 'ed25519', publicKey: pair.publicKey, thumbprint: await jwkThumbprint(pair.publicKey), scopes: options.scopes ?? [] },
        clock.now(),
      );
      return { pair, record, kid };
    },
    async sign({ path, pair, kid, ...rest }) {
      const signed = await signRequest({ url: origin + path, key: { type: 'ed25519', privateKey: pair.privateKey }, kid, now: clock.now(), ...rest });
      return signed.authorization;
    },
    async send(call) {
      const body = typeof call.body === 'string' ? new TextEncoder().encode(call.body) : call.body;
      const signed = await signRequest({
        method: call.method,
        url: origin + call.path,
        body,
        key: { type: 'ed25519', privateKey: call.pair.privateKey },
        kid: call.kid,
        now: clock.now(),
        ...call.signed,
      });
      return fetch(baseUrl + call.path, {
        method: call.method,
        headers: { Authorization: signed.authorization, ...call.headers },
        ...(body !== undefined ? { body: body as Uint8Array<ArrayBuffer> } : {}),
      });
    },
    async close() {
      await new Promise<void>((resolve) => http.close(() => resolve()));
      http.closeAllConnections();
      await signet.close();
      await stores.close();
    },
  };
  return harness;
}
