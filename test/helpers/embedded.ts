import { generateKeyPair, type Ed25519KeyPair } from '../../src/client/keys.js';
import type { Clock } from '../../src/clock.js';
import type { Config } from '../../src/config.js';
import { createSignet, type Signet } from '../../src/embed/create-signet.js';
import { newConsumerId, newKeyId } from '../../src/protocol/ids.js';
import { jwkThumbprint } from '../../src/protocol/public-key.js';
import { signRequest } from '../../src/client/sign.js';
import { silentLogger } from '../../src/server/logger.js';

export interface EmbeddedConsumer {
  pair: Ed25519KeyPair;
  kid: string;
  consumerId: string;
  /** The Authorization value for one request, signed for `origin + target`. */
  sign(method: string, target: string, body?: string | Uint8Array): Promise<string>;
  /** The RFC 9421 header fields (Signature-Input, Signature, Content-Digest) for one request. */
  signRfc9421(method: string, target: string, body?: string | Uint8Array): Promise<Record<string, string>>;
}

export interface Embedded {
  signet: Signet;
  origin: string;
  addConsumer(options?: { name?: string; scopes?: string[]; plan?: string }): Promise<EmbeddedConsumer>;
  close(): Promise<void>;
}

/**
 * A Signet built by the public createSignet() on an in-memory SQLite database, ignoring the
 * environment; tokens are bound to `origin`. Consumers are written straight into the store, as
 * `signet consumers add` does.
 */
export async function startEmbedded(overrides: Partial<Config> = {}, clock?: Clock): Promise<Embedded> {
  const signet = await createSignet({
    ...(clock !== undefined ? { clock } : {}),
    config: { db: ':memory:', publicOrigin: 'https://api.example.test', logLevel: 'silent', authFailureLimit: 0, metricsEnabled: false, ...overrides },
    env: {},
    logger: silentLogger(),
  });
  signet.start();
  const origin = signet.config.publicOrigin;
  return {
    signet,
    origin,
    addConsumer: (options) => addConsumerTo(signet, options),
    close: () => signet.close(),
  };
}

/** A consumer with one Ed25519 key, written straight into the store of `signet`. */
export async function addConsumerTo(signet: Signet, { name = 'acme', scopes = [], plan }: { name?: string; scopes?: string[]; plan?: string } = {}): Promise<EmbeddedConsumer> {
  const origin = signet.config.publicOrigin;
  const pair = await generateKeyPair();
  const kid = newKeyId();
  const record = await signet.stores.credentials.createConsumerWithKey(
    { id: newConsumerId(), name, ...(plan !== undefined ? { plan } : {}) },
    { id: kid, consumerId: '', type: 'ed25519', publicKey: pair.publicKey, thumbprint: await jwkThumbprint(pair.publicKey), scopes },
    Date.now(),
  );
  return {
    pair,
    kid,
    consumerId: record.consumer.id,
    sign: async (method, target, body) => {
      const signed = await signRequest({ method, url: origin + target, body, key: { type: 'ed25519', privateKey: pair.privateKey }, kid });
      return signed.authorization;
    },
    signRfc9421: async (method, target, body) => {
      const signed = await signRequest({ method, url: origin + target, body, key: { type: 'ed25519', privateKey: pair.privateKey }, kid }, { format: 'rfc9421' });
      return signed.headers;
    },
  };
}
