import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { SealedSecret } from '../../store/types.js';
import type { MasterKeyring } from './master-keyring.js';

/** Whose secret a sealed record is: bound into the GCM additional data. */
export interface SecretOwner {
  consumerId: string;
  keyId: string;
}

const TAG_BYTES = 16;

/**
 * The additional authenticated data: the record is valid only for this consumer, this key, this
 * record version and this master key version. A ciphertext copied to another key or consumer, or
 * relabelled with another version, fails authentication instead of decrypting.
 */
function additionalData(owner: SecretOwner, recordVersion: number, masterKeyVersion: number): Buffer {
  return Buffer.from(JSON.stringify(['signet-hmac-secret-v1', owner.consumerId, owner.keyId, recordVersion, masterKeyVersion]), 'utf8');
}

/** AES-256-GCM under the current master key, with a fresh random 96-bit IV. */
export function sealSecret(keyring: MasterKeyring, owner: SecretOwner, recordVersion: number, plaintext: Uint8Array): SealedSecret {
  const master = keyring.current();
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', master.key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(additionalData(owner, recordVersion, master.version));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return { masterKeyVersion: master.version, recordVersion, iv: new Uint8Array(iv), ciphertext: new Uint8Array(ciphertext) };
}

/** Why a sealed secret did not open; for the log, never for the caller. */
export class SecretUnavailableError extends Error {
  override name = 'SecretUnavailableError';
}

/** Decrypts and authenticates; throws SecretUnavailableError when the master key is unknown or the record was altered or moved. */
export function openSecret(keyring: MasterKeyring, owner: SecretOwner, sealed: SealedSecret): Uint8Array {
  const master = keyring.get(sealed.masterKeyVersion);
  if (master === undefined) {
    throw new SecretUnavailableError(`master key version ${sealed.masterKeyVersion} is not in the keyring (known: ${keyring.versions().join(', ')})`);
  }
  if (sealed.iv.length !== 12 || sealed.ciphertext.length < TAG_BYTES) throw new SecretUnavailableError('malformed sealed secret');
  const body = sealed.ciphertext.subarray(0, sealed.ciphertext.length - TAG_BYTES);
  const tag = sealed.ciphertext.subarray(sealed.ciphertext.length - TAG_BYTES);
  try {
    const decipher = createDecipheriv('aes-256-gcm', master.key, sealed.iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(additionalData(owner, sealed.recordVersion, sealed.masterKeyVersion));
    decipher.setAuthTag(tag);
    return new Uint8Array(Buffer.concat([decipher.update(body), decipher.final()]));
  } catch {
    throw new SecretUnavailableError(`the secret of ${owner.keyId} fails authentication: altered, moved to another key or consumer, or sealed under another master key ${sealed.masterKeyVersion}`);
  }
}
