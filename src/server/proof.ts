import { createPublicKey } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import { encodeBase64url } from '../protocol/base64url.js';
import { SignetError } from '../protocol/errors.js';
import { ALGORITHMS_BY_KEY_TYPE, PROOF_HEADER } from '../protocol/format.js';
import { decodeClaims, parseToken, type ParsedToken } from '../protocol/token.js';
import type { KeyRecord, ReplayStore } from '../store/types.js';
import { checkClaims, checkSignature, claimRules, replayExpiryMs, type IncomingRequest } from './verifier.js';

interface ProofRequest extends Omit<IncomingRequest, 'authorization'> {
  /** The Signet-Proof header value (a bare compact JWS), if any. */
  proof: string | undefined;
}

/** The new key an upload names: its raw bytes and RFC 7638 thumbprint (the proof's `kid`). */
export interface UploadedKey {
  publicKey: Uint8Array;
  thumbprint: string;
}

export type ProofVerifier = (request: ProofRequest, uploaded: UploadedKey) => Promise<void>;

export interface ProofVerifierDeps {
  config: Pick<Config, 'publicOrigin' | 'audience' | 'maxTokenLifetimeSeconds' | 'clockSkewSeconds'>;
  replay: ReplayStore;
  clock: Clock;
}

function invalidProof(privateDetail: string): SignetError {
  return new SignetError('invalid_proof', {
    detail: `Sign the upload with the new key too and send that token as "${PROOF_HEADER}: <token>", with the key's thumbprint as kid.`,
    privateDetail,
  });
}

/** After the signature verified, the signer may learn exactly what is wrong, marked as the proof's fault. */
function aboutProof(error: unknown): unknown {
  if (!(error instanceof SignetError)) return error;
  return new SignetError(error.code, { detail: `${PROOF_HEADER}: ${error.detail}`, extra: { ...error.extra, token: 'proof' }, privateDetail: error.privateDetail });
}

/**
 * Verifies the proof of possession of an uploaded key: a Signet token over the very same request,
 * signed by the new key. It reuses the verifier's parser, signature check and claim checks, and
 * spends the proof's `jti` in the replay store (keyed by the thumbprint) last, like a request token.
 */
export function createProofVerifier(deps: ProofVerifierDeps): ProofVerifier {
  const { config, replay, clock } = deps;
  const rules = claimRules(config);
  return async function verifyProof(request, uploaded) {
    if (request.proof === undefined || request.proof === '') throw invalidProof(`no ${PROOF_HEADER} header`);
    let parsed: ParsedToken;
    try {
      parsed = parseToken(request.proof.trim());
    } catch (error) {
      throw invalidProof(`unparsable proof: ${(error as SignetError).privateDetail ?? ''}`);
    }
    if (parsed.header.kid !== uploaded.thumbprint) throw invalidProof('proof kid is not the thumbprint of the uploaded key');
    if (!ALGORITHMS_BY_KEY_TYPE.ed25519.includes(parsed.header.alg)) throw invalidProof(`proof alg ${parsed.header.alg} not allowed`);
    const keyObject = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: encodeBase64url(uploaded.publicKey) }, format: 'jwk' });
    const key = { type: 'ed25519' } as Pick<KeyRecord, 'type'> as KeyRecord;
    if (!(await checkSignature(parsed, { key, keyObject }, undefined))) throw invalidProof('proof signature does not verify with the uploaded key');
    try {
      const claims = decodeClaims(parsed.payload);
      checkClaims(rules, { ...request, authorization: undefined }, claims, false, clock.now());
      const verdict = await replay.checkAndSet(uploaded.thumbprint, claims.jti, replayExpiryMs(claims, config.clockSkewSeconds), claims.iat * 1000);
      if (verdict === 'replayed') {
        throw new SignetError('token_replayed', { detail: 'This proof was already used. Sign every upload afresh (new jti).' });
      }
    } catch (error) {
      throw aboutProof(error);
    }
  };
}
