import { createPublicKey, verify as verifySignature, type KeyObject } from 'node:crypto';
import { randomBytes } from 'node:crypto';
import Koa from 'koa';
import { dropRedisPrefix, seedReplayEpoch } from '../test/helpers/services.js';
import { systemClock } from '../src/clock.js';
import { loadConfig, type Config } from '../src/config.js';
import { buildPlans } from '../src/plans.js';
import { decodeBase64url } from '../src/protocol/base64url.js';
import { newConsumerId, newKeyId } from '../src/protocol/ids.js';
import { jwkThumbprint } from '../src/protocol/public-key.js';
import { createApp } from '../src/server/app.js';
import { silentLogger } from '../src/server/logger.js';
import { createStores } from '../src/store/factory.js';
import { joseDb, rfc9421 } from './peers.js';
import type { ServeVariantName } from './serve-variants.js';

export interface VariantSetup {
  publicKey: string;
  port: number;
  dbFile: string;
}

export interface BuiltVariant {
  /** For an HMAC variant: the secret the bench client signs with (bench only; never do this). */
  secret?: string;
  callback: (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void;
  kid: string;
  close(): Promise<void>;
}

const whoami = { consumer_id: 'con_bench', key_id: 'key_bench', mode: 'ed25519' };

/** 1. Bare Koa, no auth: the ceiling. */
async function bare(): Promise<BuiltVariant> {
  const app = new Koa();
  app.use((ctx) => {
    if (ctx.path === '/v1/whoami') ctx.body = whoami;
  });
  return { callback: app.callback(), kid: 'key_bench', close: async () => {} };
}

/**
 * 2. The verify floor: only crypto.verify with a cached KeyObject; no parsing, no checks. With
 * `threadPool`, the same verification runs on libuv's thread pool (crypto.verify with a callback).
 */
function floorVariant(threadPool: boolean) {
  return async function floor(setup: VariantSetup): Promise<BuiltVariant> {
    const key: KeyObject = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: setup.publicKey }, format: 'jwk' });
    const verifyToken = (input: Buffer, signature: Buffer): boolean | Promise<boolean> =>
      threadPool ? new Promise((resolve, reject) => verifySignature(null, input, key, signature, (error, ok) => (error ? reject(error) : resolve(ok)))) : verifySignature(null, input, key, signature);
    const app = new Koa();
    app.use(async (ctx) => {
      const token = (ctx.get('Authorization') ?? '').slice(7);
      const dot = token.lastIndexOf('.');
      const verified = verifyToken(Buffer.from(token.slice(0, dot)), Buffer.from(token.slice(dot + 1), 'base64url'));
      // No await for the synchronous floor: it must not pay for a promise hop it does not need.
      if (!(typeof verified === 'boolean' ? verified : await verified)) {
        ctx.status = 401;
        return;
      }
      if (ctx.path === '/v1/whoami') ctx.body = whoami;
    });
    return { callback: app.callback(), kid: 'key_bench', close: async () => {} };
  };
}

/** 5. Signet's full app with its defaults (strict parse, key cache, verify, claims, binding, replay store, pipeline). */
async function signet(setup: VariantSetup): Promise<BuiltVariant> {
  return signetWith(setup, {}, null);
}

/**
 * Signet with the given settings, its bench consumer on `plan` (the pipeline scenario, pricing per-request accounting: the
 * same app with rate limits, usage, metrics and the failure gate on, against all of them off).
 */
async function signetWith(setup: VariantSetup, overrides: Partial<Config>, plan: string | null): Promise<BuiltVariant> {
  const config = loadConfig({ db: setup.dbFile, port: setup.port, publicOrigin: `http://127.0.0.1:${setup.port}`, maxTokenLifetimeSeconds: 300, logLevel: 'silent', ...overrides }, {});
  const stores = await createStores(config, systemClock);
  const kid = newKeyId();
  const publicKey = decodeBase64url(setup.publicKey);
  await stores.credentials.createConsumerWithKey(
    { id: newConsumerId(), name: 'bench', plan },
    { id: kid, consumerId: '', type: 'ed25519', publicKey, thumbprint: await jwkThumbprint(publicKey) },
    Date.now(),
  );
  const { app, close } = createApp({ config, stores, clock: systemClock, logger: silentLogger() });
  return {
    callback: app.callback(),
    kid,
    close: async () => {
      await close();
      await stores.close();
    },
  };
}

/**
 * Signet's full app on Redis stores (replay, rate limits, events) at redis://127.0.0.1:6379, under a
 * key prefix of its own that is deleted on close: with `signet` beside it in bench/in-process.ts,
 * what the Redis stores cost the server per request without the socket noise of the `redis` scenario.
 */
async function signetRedis(setup: VariantSetup): Promise<BuiltVariant> {
  const url = 'redis://127.0.0.1:6379';
  const prefix = `signet-bench:${randomBytes(4).toString('hex')}:`;
  // A Redis "in service": without the epoch marker the first SIGNET_CLOCK_SKEW seconds refuse tokens.
  await seedReplayEpoch(url, prefix);
  const built = await signetWith(setup, { redisUrl: url, redisPrefix: prefix }, null);
  return {
    ...built,
    close: async () => {
      await built.close();
      await dropRedisPrefix(url, prefix);
    },
  };
}

/** 6. The verifier alone: Signet with rate limits (unlimited plan), usage, metrics and the failure gate off. */
async function verifier(setup: VariantSetup): Promise<BuiltVariant> {
  return signetWith(setup, { usageEnabled: false, metricsEnabled: false, authFailureLimit: 0 }, 'internal');
}

/**
 * 7. The full pipeline: a two-window plan (never reached, so every request is counted and admitted),
 * usage recorded and flushed in batches, metrics, the per-address failure gate, RateLimit headers.
 */
async function pipeline(setup: VariantSetup): Promise<BuiltVariant> {
  const plans = buildPlans({
    bench: {
      windows: [
        { name: 'per_second', limit: 1e9, window: '1s' },
        { name: 'per_day', limit: 1e12, window: '1d' },
      ],
    },
  });
  return signetWith(setup, { plans, usageEnabled: true, metricsEnabled: true, authFailureLimit: 100 }, 'bench');
}

/** 8. Signet in HMAC mode (HS256, secret decrypted once into the key cache), default pipeline. */
async function hmac(setup: VariantSetup): Promise<BuiltVariant> {
  const config = loadConfig({ db: setup.dbFile, port: setup.port, publicOrigin: `http://127.0.0.1:${setup.port}`, maxTokenLifetimeSeconds: 300, logLevel: 'silent' }, {});
  const stores = await createStores(config, systemClock);
  const publicKey = decodeBase64url(setup.publicKey);
  const created = await stores.credentials.createConsumerWithKey(
    { id: newConsumerId(), name: 'bench', allowedModes: ['ed25519', 'hmac'] },
    { id: newKeyId(), consumerId: '', type: 'ed25519', publicKey, thumbprint: await jwkThumbprint(publicKey) },
    Date.now(),
  );
  const { app, close, server } = createApp({ config, stores, clock: systemClock, logger: silentLogger() });
  const issued = await server.hmacKeys.issue(created.consumer, { label: 'bench', scopes: [], notBefore: null, expiresAt: null }, Date.now(), {
    actor: 'local-operator',
    requestId: null,
    sourceIp: null,
  });
  return {
    callback: app.callback(),
    kid: issued.key.id,
    secret: issued.secret,
    close: async () => {
      await close();
      await stores.close();
    },
  };
}

/**
 * The same server as `pipeline`: its clients send RFC 9421 signatures (Signet's own signer) instead
 * of the JWS token, so the two request formats are compared on one app.
 */
const pipelineRfc9421 = pipeline;

export const VARIANTS = {
  bare,
  floor: floorVariant(false),
  'floor-async': floorVariant(true),
  signet,
  'signet-redis': signetRedis,
  verifier,
  pipeline,
  'pipeline-rfc9421': pipelineRfc9421,
  hmac,
  'jose-peer': joseDb,
  'rfc9421-peer': rfc9421,
} as const;
/** Variants built inside bench/server-process.ts. */
export type InProcessVariantName = keyof typeof VARIANTS;
/** In-process variants and `signet serve` variants (bench/serve-process.ts). */
export type VariantName = InProcessVariantName | ServeVariantName;
