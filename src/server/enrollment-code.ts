import { createHash } from 'node:crypto';

/** SHA-256 of the whole code (base64url): what the store keeps instead of the code. */
export function hashEnrollmentCode(code: string): string {
  return createHash('sha256').update(code, 'utf8').digest('base64url');
}
