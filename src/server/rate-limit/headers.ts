import type { WindowState } from './limiter.js';

/**
 * The RateLimit-Policy and RateLimit response fields of draft-ietf-httpapi-ratelimit-headers
 * (-08 and later: RFC 9651 structured-field lists), one list member per window:
 *
 *   RateLimit-Policy: "per_second";q=5;w=1, "per_day";q=5000;w=86400
 *   RateLimit: "per_second";r=4;t=1, "per_day";r=4999;t=43200
 *
 * q is the quota, w the window in seconds, r what remains and t the seconds until it resets.
 */

/** An RFC 9651 sf-string: quoted, with \ and " escaped (names are plain already; this keeps it true). */
function sfString(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

export function rateLimitPolicyField(windows: readonly WindowState[]): string {
  return windows.map((w) => `${sfString(w.name)};q=${w.limit};w=${w.windowSeconds}`).join(', ');
}

export function rateLimitField(windows: readonly WindowState[]): string {
  return windows.map((w) => `${sfString(w.name)};r=${w.remaining};t=${w.resetSeconds}`).join(', ');
}

/** Sets both fields; an unlimited consumer has no window to describe, and an empty list is never sent. */
export function setRateLimitHeaders(response: { set(field: string, value: string): void }, windows: readonly WindowState[]): void {
  if (windows.length === 0) return;
  response.set('RateLimit-Policy', rateLimitPolicyField(windows));
  response.set('RateLimit', rateLimitField(windows));
}
