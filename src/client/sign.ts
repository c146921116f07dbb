import type { HttpSignedRequest } from '../protocol/http-signatures/sign.js';
import { signRequest as signWithKey, type SignedRequest, type SignRequestInput } from '../protocol/sign.js';
import { signRfc9421, type RequestFormatOptions } from './request-format.js';
import { toSigningKey, type ClientKey } from './signing-key.js';

export type ClientSignRequestInput = Omit<SignRequestInput, 'key'> & { key: ClientKey };

/**
 * The protocol's signRequest, taking any ClientKey: also a key pair, or an HMAC secret string,
 * whose format and checksum are checked offline (a mistyped secret never reaches the server).
 * With `{ format: 'rfc9421' }` it signs an RFC 9421 message signature instead and returns the
 * headers to send (docs/rfc9421.md).
 */
export async function signRequest(input: ClientSignRequestInput, options?: RequestFormatOptions & { format?: 'jws' }): Promise<SignedRequest>;
export async function signRequest(input: ClientSignRequestInput, options: RequestFormatOptions & { format: 'rfc9421' }): Promise<HttpSignedRequest>;
export async function signRequest(input: ClientSignRequestInput, options: RequestFormatOptions = {}): Promise<SignedRequest | HttpSignedRequest> {
  const keyed = { ...input, key: toSigningKey(input.key) };
  return options.format === 'rfc9421' ? signRfc9421(keyed, options) : signWithKey(keyed);
}
