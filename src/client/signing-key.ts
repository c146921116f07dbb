import { SignetError } from '../protocol/errors.js';
import type { SigningKey } from '../protocol/sign.js';
import type { Ed25519KeyPair } from './keys.js';

/**
 * What the client functions accept as `key`: the pair from generateKeyPair()/loadPrivateKeyFile(),
 * a bare Ed25519 private CryptoKey, or a protocol SigningKey (which also covers HMAC secrets).
 */
export type ClientKey = SigningKey | Ed25519KeyPair | CryptoKey;

export function toSigningKey(key: ClientKey): SigningKey {
  if ('privateKey' in key && 'publicKey' in key) return { type: 'ed25519', privateKey: key.privateKey };
  if ('algorithm' in key && 'usages' in key) {
    if (key.type !== 'private') throw new SignetError('invalid_request', { detail: 'Sign with the private key, not the public one.' });
    return { type: 'ed25519', privateKey: key };
  }
  if (key.type === 'ed25519' || key.type === 'hmac') return key;
  throw new SignetError('invalid_request', { detail: 'Unrecognised signing key: pass a key pair, a private CryptoKey or a SigningKey.' });
}
