import { randomBytes } from 'node:crypto';
import { generateKeyPair, type Ed25519KeyPair } from '../../src/client/keys.js';
import { newConsumerId, newKeyId } from '../../src/protocol/ids.js';
import { jwkThumbprint } from '../../src/protocol/public-key.js';
import { signRequest } from '../../src/client/sign.js';
import { KnexCredentialStore } from '../../src/store/knex-credential-store.js';
import type { PgSchema } from './services.js';

/** The origin every instance is configured with; tokens are bound to it, never to a socket address. */
export const PUBLIC_ORIGIN = 'https://api.scale.test';

/** A plan whose one window cannot roll over during a test run. */
const TINY_PLAN = { tiny: { windows: [{ name: 'per_year', limit: 10, window: '366d' }] } };

/** Environment shared by every instance of one deployment. */
export function deploymentEnv(pg: PgSchema, redisUrl: string, redisPrefix: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    SIGNET_DATABASE_URL: pg.url,
    SIGNET_REDIS_URL: redisUrl,
    SIGNET_REDIS_PREFIX: redisPrefix,
    SIGNET_PUBLIC_ORIGIN: PUBLIC_ORIGIN,
    SIGNET_MASTER_KEY: randomBytes(32).toString('base64url'),
    SIGNET_PLANS: JSON.stringify(TINY_PLAN),
    // The suites send many refused requests from 127.0.0.1.
    SIGNET_AUTH_FAILURE_LIMIT: '0',
    SIGNET_USAGE_FLUSH_MS: '200',
    ...extra,
  };
}

export interface Caller {
  kid: string;
  consumerId: string;
  pair: Ed25519KeyPair;
}

/** A consumer with one Ed25519 key, written straight into the shared database. */
export async function addCaller(pg: PgSchema, options: { scopes?: string[]; plan?: string } = {}): Promise<Caller> {
  const pair = await generateKeyPair();
  const kid = newKeyId();
  const consumerId = newConsumerId();
  await new KnexCredentialStore(pg.db).createConsumerWithKey(
    { id: consumerId, name: `caller-${kid.slice(-6)}`, ...(options.plan !== undefined ? { plan: options.plan } : {}) },
    { id: kid, consumerId, type: 'ed25519', publicKey: pair.publicKey, thumbprint: await jwkThumbprint(pair.publicKey), scopes: options.scopes ?? [] },
    Date.now(),
  );
  return { kid, consumerId, pair };
}

/** A signed Authorization value for METHOD PATH (with an optional JSON body). */
export async function authorization(caller: Caller, method: string, path: string, body?: string): Promise<string> {
  const signed = await signRequest({ method, url: PUBLIC_ORIGIN + path, key: { type: 'ed25519', privateKey: caller.pair.privateKey }, kid: caller.kid, ...(body !== undefined ? { body } : {}) });
  return signed.authorization;
}

/** Sends a request carrying `auth` to the instance at `base`. */
export async function send(base: string, method: string, path: string, auth: string, body?: string): Promise<{ status: number; code?: string }> {
  const response = await fetch(base + path, {
    method,
    headers: { Authorization: auth, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
    ...(body !== undefined ? { body } : {}),
  });
  const text = await response.text();
  let code: string | undefined;
  try {
    code = (JSON.parse(text) as { code?: string }).code;
  } catch {
    code = undefined;
  }
  return { status: response.status, ...(code !== undefined ? { code } : {}) };
}

/** Signs a fresh GET /v1/whoami and sends it to `base`. */
export async function whoami(base: string, caller: Caller): Promise<{ status: number; code?: string }> {
  return send(base, 'GET', '/v1/whoami', await authorization(caller, 'GET', '/v1/whoami'));
}
