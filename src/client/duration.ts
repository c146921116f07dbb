import { SignetError } from '../protocol/errors.js';
import { MAX_TOKEN_LIFETIME_SECONDS } from '../protocol/format.js';

/**
 * A token lifetime: a number of seconds, or text such as "90", "90s" or "5m". Between 1 s and
 * the protocol's 300 s maximum.
 */
export function parseTtl(ttl: number | string): number {
  let seconds: number;
  if (typeof ttl === 'number') {
    seconds = ttl;
  } else {
    const match = /^\s*(\d+)\s*(s|m)?\s*$/.exec(ttl);
    seconds = match === null ? NaN : Number(match[1]) * (match[2] === 'm' ? 60 : 1);
  }
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_TOKEN_LIFETIME_SECONDS) {
    throw new SignetError('invalid_request', {
      detail: `A lifetime must be 1 to ${MAX_TOKEN_LIFETIME_SECONDS} seconds, written like 60, 90s or 5m; "${String(ttl)}" is not.`,
    });
  }
  return seconds;
}
