import { decodeBase64url } from '../protocol/base64url.js';
import { SignetError } from '../protocol/errors.js';

/**
 * Data read back from our own database that cannot be read is the server's fault, not the
 * caller's: a 500 internal_error whose private detail (logged, never sent) says which row, never
 * a 401 that would send the client hunting for a mistake it did not make.
 */
function unreadableStoredData(what: string, reason: string): SignetError {
  return new SignetError('internal_error', { privateDetail: `unreadable ${what} in the database: ${reason}` });
}

/** Bytes stored as base64url by this server. */
export function storedBytes(text: string, what: string): Uint8Array {
  return decodeBase64url(text, (reason) => unreadableStoredData(what, reason));
}
