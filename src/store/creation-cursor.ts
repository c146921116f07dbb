import { decodeBase64url, encodeBase64url } from '../protocol/base64url.js';
import { SignetError } from '../protocol/errors.js';

/**
 * The opaque cursor of a list in creation order: the last item's creation time and id, so rows
 * created in the same millisecond are neither lost nor repeated between pages.
 */
export function encodeCreationCursor(item: { createdAt: number; id: string }): string {
  return encodeBase64url(new TextEncoder().encode(JSON.stringify([item.createdAt, item.id])));
}

/** [createdAt, id]; anything this server did not return is a SignetError invalid_request. */
export function decodeCreationCursor(cursor: string): [number, string] {
  try {
    const value: unknown = JSON.parse(new TextDecoder().decode(decodeBase64url(cursor)));
    if (Array.isArray(value) && value.length === 2 && Number.isSafeInteger(value[0]) && typeof value[1] === 'string') return value as [number, string];
  } catch {
    // fall through to the refusal below
  }
  throw new SignetError('invalid_request', { detail: 'The cursor is not one this server returned.', extra: { errors: [{ path: 'cursor', message: 'Unreadable cursor.' }] } });
}
