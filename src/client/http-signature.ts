import { encodeBase64 } from '../protocol/base64url.js';
import { SIGNATURE_HEADER } from '../protocol/http-signatures/constants.js';
import { httpSignatureToSign, type HttpSignatureInput } from '../protocol/http-signatures/sign.js';
import type { RequestClaims } from '../protocol/format.js';
import { signingKeyToSignWith, type ClientKey, type SigningKey } from './signing-key.js';

export type SignHttpRequestInput = Omit<HttpSignatureInput, 'keyType'> & {
  /** A key pair, a private CryptoKey, an HMAC secret as the server showed it, or a SigningKey. */
  key: ClientKey;
};

export interface HttpSignedRequest {
  format: 'rfc9421';
  /** Fields to add to the request, lower-case names: signature-input, signature, and content-digest with a body. */
  headers: Record<string, string>;
  /** Covered components, in order. */
  components: string[];
  /** What this signature binds, in the JWS format's terms (for diagnostics such as `--explain`). */
  claims: RequestClaims;
}

const encoder = new TextEncoder();

/**
 * Signs bytes with WebCrypto (Node and browsers alike). jose signs whole JWS objects only; an RFC
 * 9421 signature is over a signature base, so the bytes are signed here directly.
 */
export async function signBytes(key: SigningKey, input: Uint8Array): Promise<Uint8Array> {
  const subtle = globalThis.crypto.subtle;
  const data = input as Uint8Array<ArrayBuffer>;
  if (key.type === 'ed25519') return new Uint8Array(await subtle.sign({ name: 'Ed25519' }, key.privateKey, data));
  const hmacKey = await subtle.importKey('raw', key.secret as Uint8Array<ArrayBuffer>, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return new Uint8Array(await subtle.sign('HMAC', hmacKey, data));
}

/** Signs one HTTP request as an RFC 9421 message signature built by the protocol (docs/rfc9421.md). */
export async function signHttpRequest(input: SignHttpRequestInput): Promise<HttpSignedRequest> {
  const { key: clientKey, ...rest } = input;
  const key = signingKeyToSignWith(clientKey);
  const toSign = await httpSignatureToSign({ ...rest, keyType: key.type });
  const signature = await signBytes(key, encoder.encode(toSign.base));
  const headers = { ...toSign.headers, [SIGNATURE_HEADER]: `${toSign.label}=:${encodeBase64(signature)}:` };
  return { format: 'rfc9421', headers, components: toSign.components, claims: toSign.claims };
}
