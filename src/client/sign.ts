import { CompactSign } from 'jose/jws/compact/sign';
import { AUTH_SCHEME, type RequestClaims } from '../protocol/format.js';
import { requestToken, type RequestTokenInput } from '../protocol/sign.js';
import { signHttpRequest, type HttpSignedRequest } from './http-signature.js';
import type { RequestFormatOptions } from './request-format.js';
import { signingKeyToSignWith, type ClientKey } from './signing-key.js';

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
 * server. With `{ format: 'rfc9421' }` it signs an RFC 9421 message signature instead and returns
 * the headers to send (docs/rfc9421.md).
 */
export async function signRequest(input: SignRequestInput, options?: RequestFormatOptions & { format?: 'jws' }): Promise<SignedRequest>;
export async function signRequest(input: SignRequestInput, options: RequestFormatOptions & { format: 'rfc9421' }): Promise<HttpSignedRequest>;
export async function signRequest(input: SignRequestInput, options: RequestFormatOptions = {}): Promise<SignedRequest | HttpSignedRequest> {
  return options.format === 'rfc9421' ? signRfc9421(input, options) : signJws(input);
}

async function signJws(input: SignRequestInput): Promise<SignedRequest> {
  const key = signingKeyToSignWith(input.key);
  const alg = key.type === 'hmac' ? 'HS256' : (key.alg ?? 'EdDSA');
  const { header, claims } = await requestToken({ ...input, alg });
  const token = await new CompactSign(encoder.encode(JSON.stringify(claims))).setProtectedHeader({ ...header }).sign(key.type === 'hmac' ? key.secret : key.privateKey);
  return { token, authorization: `${AUTH_SCHEME} ${token}`, claims };
}

/** RFC 9421 from the same input as the JWS format: `jti` becomes the nonce; `audience` has no place (the target URI binds the origin). */
function signRfc9421(input: SignRequestInput, options: Pick<RequestFormatOptions, 'label' | 'tag'>): Promise<HttpSignedRequest> {
  const { jti, audience: _audience, ...rest } = input;
  return signHttpRequest({
    ...rest,
    ...(jti !== undefined ? { nonce: jti } : {}),
    ...(options.label !== undefined ? { label: options.label } : {}),
    ...(options.tag !== undefined ? { tag: options.tag } : {}),
  });
}
