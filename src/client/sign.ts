import { signRequest as signWithKey, type SignedRequest, type SignRequestInput } from '../protocol/sign.js';
import { toSigningKey, type ClientKey } from './signing-key.js';

export type ClientSignRequestInput = Omit<SignRequestInput, 'key'> & { key: ClientKey };

/**
 * The protocol's signRequest, taking any ClientKey: also a key pair, or an HMAC secret string,
 * whose format and checksum are checked offline (a mistyped secret never reaches the server).
 */
export async function signRequest(input: ClientSignRequestInput): Promise<SignedRequest> {
  return signWithKey({ ...input, key: toSigningKey(input.key) });
}
