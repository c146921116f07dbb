import { SignetError } from '../../protocol/errors.js';
import { newHmacSecret } from '../../protocol/hmac-secret.js';
import { newKeyId } from '../../protocol/ids.js';
import type { AuditContext, ConsumerRecord, HmacSecretStore, KeyRecord, KeyWithConsumer } from '../../store/types.js';
import type { Logger } from '../logger.js';
import { assertModeAllowed } from '../modes.js';
import type { MasterKeyring } from './master-keyring.js';
import { openSecret, sealSecret, SecretUnavailableError } from './secret-box.js';

export interface NewHmacKey {
  label: string;
  scopes: string[];
  notBefore: number | null;
  expiresAt: number | null;
}

export interface IssuedHmacKey {
  key: KeyRecord;
  /** The secret, for the one answer that shows it; the server keeps only its ciphertext. */
  secret: string;
}

const encoder = new TextEncoder();

/**
 * HMAC keys (docs/modes.md): issuing them with a server-generated secret sealed under the master
 * key, and opening a secret for the verifier's key cache, the only place it lives in clear.
 */
export class HmacKeys {
  constructor(
    private readonly store: HmacSecretStore,
    private readonly keyring: MasterKeyring,
    private readonly logger: Pick<Logger, 'error'>,
  ) {}

  async issue(consumer: ConsumerRecord, input: NewHmacKey, now: number, audit: AuditContext): Promise<IssuedHmacKey> {
    assertModeAllowed(consumer, 'hmac');
    const secret = newHmacSecret();
    const id = newKeyId();
    const plaintext = encoder.encode(secret);
    const sealed = sealSecret(this.keyring, { consumerId: consumer.id, keyId: id }, 1, plaintext);
    plaintext.fill(0);
    const key = await this.store.createHmacKey({ id, consumerId: consumer.id, type: 'hmac', publicKey: null, thumbprint: null, ...input }, sealed, now, audit);
    return { key, secret };
  }

  /**
   * The key's secret, for a cache fill. A key without a stored secret (never issued through this
   * server) has none; a secret that does not open (unknown master key version, altered or moved
   * record) is a 500 internal_error: our own data or configuration is at fault, never the caller,
   * so the answer must not blame the signature (a 401) nor promise that a retry helps.
   */
  async open(found: KeyWithConsumer): Promise<Uint8Array | undefined> {
    const sealed = await this.store.find(found.key.id);
    if (sealed === undefined) return undefined;
    try {
      // The owner comes from the key row the verifier resolved, never from the secret's row.
      return openSecret(this.keyring, { consumerId: found.key.consumerId, keyId: found.key.id }, sealed);
    } catch (error) {
      if (!(error instanceof SecretUnavailableError)) throw error;
      this.logger.error({ kid: found.key.id, reason: error.message }, 'cannot decrypt an HMAC secret');
      throw new SignetError('internal_error', {
        detail: 'The server cannot use this key: its stored secret does not open. Its operator has been told; sign with another key meanwhile.',
        privateDetail: error.message,
      });
    }
  }
}
