import { CompactSign } from 'jose/jws/compact/sign';
import { SignetError } from '../protocol/errors.js';
import { AUTH_SCHEME, type RequestClaims } from '../protocol/format.js';
import { MIN_HMAC_KEY_BYTES } from '../protocol/hmac-secret.js';
import { requestToken, type RequestTokenInput } from '../protocol/sign.js';
import { toSigningKey, type ClientKey } from './signing-key.js';

export type SignRequestInput = Omit<RequestTokenInput, 'alg'> & {
  /** A key pair, a private CryptoKey, an HMAC secret as the server showed it, or a SigningKey. */
  key: ClientKey;
};

/** The same input: the name the client kit has always exported. */
export type ClientSignRequestInput = SignRequestInput;

export interface SignedRequest {
  token: string;
  authorization: string;
  claims: RequestClaims;
}

const encoder = new TextEncoder();

/**
 * Signs one HTTP request as a compact JWS with jose (WebCrypto underneath, in Node and browsers
 * alike). The header and claims come from the protocol, which the verifier shares. An HMAC secret
 * given as text is checked (format and checksum) offline, so a mistyped secret never reaches the
 * server.
 */
export async function signRequest(input: SignRequestInput): Promise<SignedRequest> {
  const key = toSigningKey(input.key);
  if (key.type === 'hmac' && key.secret.length < MIN_HMAC_KEY_BYTES) {
    // RFC 7518 section 3.2: a shorter HS256 key is guessable offline from one captured token.
    throw new SignetError('invalid_request', { detail: `An HMAC secret must be at least ${MIN_HMAC_KEY_BYTES} bytes; this one has ${key.secret.length}.` });
  }
  const alg = key.type === 'hmac' ? 'HS256' : (key.alg ?? 'EdDSA');
  const { header, claims } = await requestToken({ ...input, alg });
  const token = await new CompactSign(encoder.encode(JSON.stringify(claims)))
    .setProtectedHeader({ ...header })
    .sign(key.type === 'hmac' ? key.secret : key.privateKey);
  return { token, authorization: `${AUTH_SCHEME} ${token}`, claims };
}
