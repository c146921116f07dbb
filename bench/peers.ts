/**
 * Peer implementations for the benchmark: what people write instead of Signet.
 */
import { createPublicKey, sign as signBytes, verify as verifySignature, type KeyObject } from 'node:crypto';
import { httpbis, type Request as HttpRequest } from 'http-message-signatures';
import { decodeProtectedHeader, importJWK, jwtVerify } from 'jose';
import Koa from 'koa';
import { openSqlite } from '../src/store/factory.js';
import type { BuiltVariant, VariantSetup } from './variants.js';

const whoami = { consumer_id: 'con_bench', key_id: 'key_bench', mode: 'ed25519' };

/**
 * 3. A hand-written jose middleware: read the kid, load the key from the database on every
 * request, import it, jwtVerify with EdDSA pinned, then compare method and URL. No replay store.
 */
export async function joseDb(setup: VariantSetup): Promise<BuiltVariant> {
  const db = openSqlite(setup.dbFile);
  await db.schema.createTable('peer_keys', (t) => {
    t.string('kid').primary();
    t.text('jwk').notNullable();
  });
  await db('peer_keys').insert({ kid: 'key_bench', jwk: JSON.stringify({ kty: 'OKP', crv: 'Ed25519', x: setup.publicKey }) });
  const origin = `http://127.0.0.1:${setup.port}`;
  const app = new Koa();
  app.use(async (ctx) => {
    try {
      const token = ctx.get('Authorization').replace(/^Signet /, '');
      const { kid } = decodeProtectedHeader(token);
      const row = await db('peer_keys').where({ kid }).first();
      if (row === undefined) throw new Error('unknown key');
      const key = await importJWK(JSON.parse(row.jwk), 'EdDSA');
      const { payload } = await jwtVerify(token, key, { algorithms: ['EdDSA'], audience: origin });
      if (payload.method !== ctx.method || payload.url !== origin + ctx.originalUrl) throw new Error('binding');
    } catch {
      ctx.status = 401;
      return;
    }
    if (ctx.path === '/v1/whoami') ctx.body = whoami;
  });
  return { callback: app.callback(), kid: 'key_bench', close: () => db.destroy() };
}

export const RFC9421_FIELDS = ['@method', '@path', '@authority'];

/**
 * 4. RFC 9421 HTTP Message Signatures with Ed25519 via the http-message-signatures package, the
 * key held in memory (kinder to the peer than a database read), created/expires checked.
 */
export async function rfc9421(setup: VariantSetup): Promise<BuiltVariant> {
  const keyObject: KeyObject = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: setup.publicKey }, format: 'jwk' });
  const app = new Koa();
  app.use(async (ctx) => {
    const request: HttpRequest = { method: ctx.method, url: `http://127.0.0.1:${setup.port}${ctx.originalUrl}`, headers: ctx.req.headers as Record<string, string> };
    let ok: boolean | null;
    try {
      ok = await httpbis.verifyMessage(
        {
          requiredFields: RFC9421_FIELDS,
          requiredParams: ['created', 'keyid'],
          maxAge: 300,
          keyLookup: async (params) =>
            params.keyid === 'key_bench' ? { id: 'key_bench', algs: ['ed25519'], verify: async (data: Buffer, signature: Buffer) => verifySignature(null, data, keyObject, signature) } : null,
        },
        request,
      );
    } catch {
      ok = false;
    }
    if (ok !== true) {
      ctx.status = 401;
      return;
    }
    if (ctx.path === '/v1/whoami') ctx.body = whoami;
  });
  return { callback: app.callback(), kid: 'key_bench', close: async () => {} };
}

/** Signs one GET for the RFC 9421 peer: returns the Signature and Signature-Input headers. */
export async function signRfc9421(url: string, privateKey: KeyObject, nonce: string): Promise<Record<string, string>> {
  const signed = await httpbis.signMessage(
    {
      key: { id: 'key_bench', alg: 'ed25519', sign: async (data: Buffer) => signBytes(null, data, privateKey) },
      fields: RFC9421_FIELDS,
      params: ['created', 'expires', 'nonce', 'keyid', 'alg'],
      paramValues: { nonce, expires: new Date(Date.now() + 300_000) },
    },
    { method: 'GET', url, headers: { host: new URL(url).host } },
  );
  const headers = signed.headers as Record<string, string>;
  return { signature: headers.Signature ?? headers.signature!, 'signature-input': headers['Signature-Input'] ?? headers['signature-input']! };
}
