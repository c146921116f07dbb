import { SignetError } from '../protocol/errors.js';
import { looksLikeHmacSecret, MIN_HMAC_KEY_BYTES, parseHmacSecret } from '../protocol/hmac-secret.js';
import type { Ed25519KeyPair } from './keys.js';

/** Key material as the signer uses it: an Ed25519 private CryptoKey, or the raw bytes of an HMAC secret. */
export type SigningKey = { type: 'ed25519'; privateKey: CryptoKey; alg?: 'EdDSA' | 'Ed25519' } | { type: 'hmac'; secret: Uint8Array };

/**
 * What the client functions accept as `key`: the pair from generateKeyPair()/loadPrivateKeyFile(),
 * a bare Ed25519 private CryptoKey, a protocol SigningKey, or an HMAC secret exactly as the server
 * showed it (`sgnt_hs_...`), whose format and checksum are checked here, before anything is sent.
 */
export type ClientKey = SigningKey | { type: 'hmac'; secret: string } | Ed25519KeyPair | CryptoKey | string;

export function toSigningKey(key: ClientKey): SigningKey {
  if (typeof key === 'string') {
    if (!looksLikeHmacSecret(key.trim())) {
      throw new SignetError('invalid_request', { detail: 'A key given as text must be an HMAC secret (sgnt_hs_...); load private key files with loadPrivateKeyFile.' });
    }
    return { type: 'hmac', secret: parseHmacSecret(key.trim()) };
  }
  if ('privateKey' in key && 'publicKey' in key) return { type: 'ed25519', privateKey: key.privateKey };
  if ('algorithm' in key && 'usages' in key) {
    if (key.type !== 'private') throw new SignetError('invalid_request', { detail: 'Sign with the private key, not the public one.' });
    return { type: 'ed25519', privateKey: key };
  }
  if (key.type === 'hmac' && typeof key.secret === 'string') return toSigningKey(key.secret);
  if (key.type === 'hmac' && !((key.secret as unknown) instanceof Uint8Array)) {
    throw new SignetError('invalid_request', { detail: "An HMAC key's secret must be the sgnt_hs_... text the server showed, or its decoded bytes." });
  }
  if (key.type === 'ed25519' || key.type === 'hmac') return key as SigningKey;
  throw new SignetError('invalid_request', { detail: 'Unrecognised signing key: pass a key pair, a private CryptoKey, an HMAC secret or a SigningKey.' });
}

/** toSigningKey, refusing an HMAC secret too short to sign with (both request formats sign through this). */
export function signingKeyToSignWith(key: ClientKey): SigningKey {
  const signingKey = toSigningKey(key);
  if (signingKey.type === 'hmac' && signingKey.secret.length < MIN_HMAC_KEY_BYTES) {
    // RFC 7518 section 3.2: a shorter HMAC-SHA256 key is guessable offline from one captured signature.
    throw new SignetError('invalid_request', { detail: `An HMAC secret must be at least ${MIN_HMAC_KEY_BYTES} bytes; this one has ${signingKey.secret.length}.` });
  }
  return signingKey;
}
