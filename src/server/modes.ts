import { SignetError } from '../protocol/errors.js';
import type { KeyType } from '../protocol/format.js';
import type { ConsumerRecord } from '../store/types.js';

const NAMES: Record<KeyType, string> = { ed25519: 'Ed25519', hmac: 'HMAC' };

/**
 * Refuses to give a consumer a key of a type its allowed modes exclude (such a key would only be
 * refused on use, 403 mode_not_allowed), with the way out in the sentence.
 */
export function assertModeAllowed(consumer: ConsumerRecord, mode: KeyType): void {
  if (!consumer.allowedModes.includes(mode)) {
    throw new SignetError('conflict', {
      detail: `The consumer ${consumer.id} does not allow ${NAMES[mode]} keys (allowed_modes: ${consumer.allowedModes.join(', ')}). An admin must add "${mode}" to its allowed_modes first (PATCH /admin/v1/consumers/${consumer.id}).${mode === 'hmac' ? ' Ed25519 keys are the safer choice.' : ''}`,
      extra: { allowed_modes: consumer.allowedModes },
    });
  }
}
