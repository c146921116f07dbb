import { SignetError } from '../protocol/errors.js';

/**
 * Request paths whose meaning differs between the gateway and the upstream are refused, never
 * normalised: dot segments (also percent-encoded), empty segments (`//`), encoded slashes and
 * backslashes, and anything that is not origin-form. Normalising would let `/public/..%2Fadmin`
 * match one route here and reach another upstream.
 */
const DOT_SEGMENT = /(^|\/)(\.|%2e){1,2}(\/|$)/i;
const ENCODED_SEPARATOR = /%(2f|5c)/i;

function refuse(why: string): SignetError {
  return new SignetError('invalid_request', { detail: `The request path ${why}; send it in plain origin form.` });
}

export function safePath(target: string): string {
  const query = target.indexOf('?');
  const path = query === -1 ? target : target.slice(0, query);
  if (!path.startsWith('/')) throw refuse('is not origin-form (it must start with /)');
  if (path.includes('\\')) throw refuse('contains a backslash');
  if (path.includes('//')) throw refuse('contains an empty segment (//)');
  if (DOT_SEGMENT.test(path)) throw refuse('contains a dot segment (. or ..)');
  if (ENCODED_SEPARATOR.test(path)) throw refuse('contains an encoded slash or backslash');
  if (target.includes('#')) throw refuse('contains a fragment');
  return path;
}
