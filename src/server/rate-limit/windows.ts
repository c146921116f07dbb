import type { WindowLength } from '../../plans.js';

export interface WindowSpan {
  /** Epoch ms; the window holds [start, end). */
  start: number;
  end: number;
  /** The window's whole length in seconds, as RateLimit-Policy's `w` reports it. */
  seconds: number;
}

/**
 * The window holding `nowMs`. Fixed windows are aligned on the epoch (a 1d window is a UTC day, a
 * 15m window starts at :00, :15, :30, :45), months are calendar months in UTC. Aligned windows need
 * no stored start time: every instance computes the same window from the time alone.
 */
export function windowAt(length: WindowLength, nowMs: number): WindowSpan {
  if (length.kind === 'month') {
    const date = new Date(nowMs);
    const start = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
    const end = Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
    return { start, end, seconds: (end - start) / 1000 };
  }
  const ms = length.seconds * 1000;
  const start = Math.floor(nowMs / ms) * ms;
  return { start, end: start + ms, seconds: length.seconds };
}

/** Whole seconds until the window ends, at least 1 (what RateLimit's `t` and Retry-After carry). */
export function secondsUntil(endMs: number, nowMs: number): number {
  return Math.max(1, Math.ceil((endMs - nowMs) / 1000));
}
