import type { Context } from 'koa';
import { SignetError } from '../protocol/errors.js';
import { PROOF_HEADER } from '../protocol/format.js';
import { importEd25519PublicKey, jwkThumbprint } from '../protocol/public-key.js';
import type { AuditContext } from '../store/types.js';
import type { ServerContext } from './context.js';
import type { UploadedKey } from './proof.js';
import type { SignetState } from './state.js';

/** Who is acting, for the audit log: the verified key, the request id and the peer address. */
export function auditContext(ctx: Context & { state: SignetState }): AuditContext {
  return { actor: ctx.state.auth.key.id, requestId: ctx.state.requestId, sourceIp: ctx.ip || null };
}

/**
 * Imports the uploaded public key and checks the proof of possession: the request's Signet-Proof
 * token must be signed by this very key. Bad keys are 400 invalid_public_key naming the field.
 */
export async function acceptUploadedKey(server: ServerContext, ctx: Context & { state: SignetState }, input: unknown): Promise<UploadedKey> {
  let publicKey: Uint8Array;
  try {
    publicKey = importEd25519PublicKey(input);
  } catch (error) {
    if (!(error instanceof SignetError)) throw error;
    throw new SignetError(error.code, { detail: error.detail, extra: { errors: [{ path: 'public_key', message: error.detail }] } });
  }
  const uploaded = { publicKey, thumbprint: await jwkThumbprint(publicKey) };
  await server.verifyProof({ method: ctx.method, target: ctx.originalUrl, body: ctx.state.rawBody, proof: ctx.get(PROOF_HEADER) || undefined }, uploaded);
  return uploaded;
}
