import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { loadConfig, type Config } from '../../src/config.js';
import { generateKeyPair, type Ed25519KeyPair } from '../../src/client/keys.js';
import { newConsumerId, newKeyId } from '../../src/protocol/ids.js';
import { PROOF_HEADER } from '../../src/protocol/format.js';
import { jwkThumbprint } from '../../src/protocol/public-key.js';
import { signRequest, type SignRequestInput } from '../../src/client/sign.js';
import { createApp, type SignetApp } from '../../src/server/app.js';
import { answerClientErrors } from '../../src/server/client-errors.js';
import { silentLogger } from '../../src/server/logger.js';
import { createStoresWithDatabase, type Stores } from '../../src/store/factory.js';
import type { Knex } from 'knex';
import type { KeyWithConsumer } from '../../src/store/types.js';

/** A fixed instant for tests: 2026-01-01T00:00:00Z. */
export const T0 = Date.UTC(2026, 0, 1);

export interface Harness {
  config: Readonly<Config>;
  clock: ManualClock;
  stores: Stores;
  /** The knex handle beneath the stores, for tests that inspect or damage rows. */
  db: Knex;
  signet: SignetApp;
  http: Server;
  /** Where the test server really listens (127.0.0.1:random). */
  baseUrl: string;
  /** The configured public origin tokens are bound to. */
  origin: string;
  addConsumer(name?: string, options?: { scopes?: string[] }): Promise<{ pair: Ed25519KeyPair; record: KeyWithConsumer; kid: string }>;
  /** A consumer whose key has the admin and keys scopes, registered directly (as `signet admin init` does). */
  addAdmin(name?: string): Promise<{ pair: Ed25519KeyPair; record: KeyWithConsumer; kid: string }>;
  /** Signs for the public origin and sends to the real listening socket. */
  send(request: SignedCall): Promise<Response>;
  sign(input: Omit<SignRequestInput, 'key' | 'kid' | 'url'> & { path: string; pair: Ed25519KeyPair; kid: string }): Promise<string>;
  close(): Promise<void>;
}

export interface SignedCall {
  method: string;
  path: string;
  body?: string | Uint8Array;
  /** Sent as JSON text (instead of `body`). */
  json?: unknown;
  /** The signing key; omit both pair and kid for a request without Authorization. */
  pair?: Ed25519KeyPair;
  kid?: string;
  /** Adds a Signet-Proof header for the same request, signed by this (new) key, kid = its thumbprint. */
  proof?: Ed25519KeyPair;
  /** Overrides applied to what the proof signs. */
  proofSigned?: Partial<Pick<SignRequestInput, 'method' | 'url' | 'body' | 'audience' | 'lifetimeSeconds' | 'now' | 'jti'>>;
  /** Overrides applied to what is signed (to test binding mismatches). */
  signed?: Partial<Pick<SignRequestInput, 'method' | 'url' | 'body' | 'audience' | 'lifetimeSeconds' | 'now' | 'jti'>>;
  headers?: Record<string, string>;
}

/**
 * The real app on a real socket, on an in-memory SQLite database, with a manual clock. With
 * `socketOrigin`, the public origin is the address it listens on, so an out-of-harness client (the
 * CLI) signs exactly the URL it calls.
 */
export async function startHarness(overrides: Partial<Config> = {}, options: { socketOrigin?: boolean } = {}): Promise<Harness> {
  const clock = new ManualClock(T0);
  const http = createServer();
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const publicOrigin = options.socketOrigin === true ? baseUrl : 'https://api.example.test';
  // Suites send many refused requests from 127.0.0.1: the per-address failure limit is off unless a
  // test turns it on (test/server/rate-limit/rate-limits.test.ts does).
  const config = loadConfig({ db: ':memory:', port: 0, publicOrigin, logLevel: 'silent', authFailureLimit: 0, ...overrides }, {});
  const { stores, db } = await createStoresWithDatabase(config, clock);
  const signet = createApp({ config, stores, clock, logger: silentLogger() });
  http.on('request', signet.app.callback());
  answerClientErrors(http, clock);
  const origin = config.publicOrigin;

  const harness: Harness = {
    config,
    clock,
    stores,
    db,
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
    async addAdmin(name = 'admin') {
      return harness.addConsumer(name, { scopes: ['admin', 'keys'] });
    },
    async sign({ path, pair, kid, ...rest }) {
      const signed = await signRequest({ url: origin + path, key: { type: 'ed25519', privateKey: pair.privateKey }, kid, now: clock.now(), ...rest });
      return signed.authorization;
    },
    async send(call) {
      const body = call.json !== undefined ? JSON.stringify(call.json) : call.body;
      const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
      const headers: Record<string, string> = {};
      if (call.json !== undefined) headers['Content-Type'] = 'application/json';
      if (call.pair !== undefined && call.kid !== undefined) {
        const signed = await signRequest({
          method: call.method,
          url: origin + call.path,
          body: bytes,
          key: { type: 'ed25519', privateKey: call.pair.privateKey },
          kid: call.kid,
          now: clock.now(),
          ...call.signed,
        });
        headers.Authorization = signed.authorization;
      }
      if (call.proof !== undefined) {
        const proof = await signRequest({
          method: call.method,
          url: origin + call.path,
          body: bytes,
          key: { type: 'ed25519', privateKey: call.proof.privateKey },
          kid: await jwkThumbprint(call.proof.publicKey),
          now: clock.now(),
          ...call.proofSigned,
        });
        headers[PROOF_HEADER] = proof.token;
      }
      return fetch(baseUrl + call.path, {
        method: call.method,
        headers: { ...headers, ...call.headers },
        ...(bytes !== undefined ? { body: bytes as Uint8Array<ArrayBuffer> } : {}),
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

/** A server's answer read whole: status, JSON body (undefined when empty) and Request-Id. */
export interface Answer {
  status: number;
  body: any;
  requestId: string | null;
}

export async function readAnswer(response: Response): Promise<Answer> {
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : JSON.parse(text), requestId: response.headers.get('request-id') };
}

export type TestConsumer = Awaited<ReturnType<Harness['addConsumer']>>;

/**
 * For a describe block: starts a harness with one consumer, alice, before its tests and closes it
 * after them. `use` receives both once they exist: `withAlice((s) => ({ h, alice } = s))`.
 */
export function withAlice(use: (started: { h: Harness; alice: TestConsumer }) => void, overrides: Partial<Config> = {}): void {
  let harness: Harness | undefined;
  beforeAll(async () => {
    harness = await startHarness(overrides);
    use({ h: harness, alice: await harness.addConsumer('alice') });
  });
  afterAll(async () => harness?.close());
}
