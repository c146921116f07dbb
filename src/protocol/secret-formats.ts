import { randomBase62 } from './ids.js';

/**
 * Every secret Signet hands out starts with this, so one secret-scanner pattern (`sgnt_`) finds
 * any of them in a leaked log or repository.
 */
export const SECRET_PREFIX = 'sgnt_';

/** HMAC secrets (src/protocol/hmac-secret.ts has their full shape and checksum). */
export const HMAC_SECRET_PREFIX = `${SECRET_PREFIX}hs_`;

/** One-time enrollment codes: this prefix and 32 base62 characters (about 190 bits). */
export const ENROLLMENT_CODE_PREFIX = `${SECRET_PREFIX}enroll_`;
const ENROLLMENT_CODE_RANDOM_LENGTH = 32;

/**
 * The prefix of enrollment codes issued before secrets shared one prefix family. The server
 * stores only a hash of the whole code, so such a code keeps working until it expires.
 */
export const LEGACY_ENROLLMENT_CODE_PREFIX = 'signet_enroll_';

export function newEnrollmentCode(): string {
  return ENROLLMENT_CODE_PREFIX + randomBase62(ENROLLMENT_CODE_RANDOM_LENGTH);
}

/** True for the shape of a code as pasted, with the current or the legacy prefix (it may still be unknown). */
export function looksLikeEnrollmentCode(text: string): boolean {
  return /^(?:sgnt_enroll_|signet_enroll_)[A-Za-z0-9]+$/.test(text);
}
