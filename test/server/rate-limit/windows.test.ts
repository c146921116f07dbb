import { describe, expect, it } from 'vitest';
import { rateLimitField, rateLimitPolicyField } from '../../../src/server/rate-limit/headers.js';
import { secondsUntil, windowAt } from '../../../src/server/rate-limit/windows.js';

describe('rate-limit windows', () => {
  it('align fixed windows on the epoch, so every instance computes the same window', () => {
    const t = Date.UTC(2026, 4, 17, 13, 7, 42, 250);
    expect(windowAt({ kind: 'fixed', seconds: 1 }, t)).toEqual({ start: t - 250, end: t + 750, seconds: 1 });
    expect(windowAt({ kind: 'fixed', seconds: 900 }, t)).toEqual({ start: Date.UTC(2026, 4, 17, 13, 0), end: Date.UTC(2026, 4, 17, 13, 15), seconds: 900 });
    expect(windowAt({ kind: 'fixed', seconds: 86_400 }, t)).toEqual({ start: Date.UTC(2026, 4, 17), end: Date.UTC(2026, 4, 18), seconds: 86_400 });
  });

  it('use calendar months in UTC, February and leap years included', () => {
    expect(windowAt({ kind: 'month' }, Date.UTC(2026, 1, 28, 23, 59))).toEqual({ start: Date.UTC(2026, 1, 1), end: Date.UTC(2026, 2, 1), seconds: 28 * 86_400 });
    expect(windowAt({ kind: 'month' }, Date.UTC(2028, 1, 29)).seconds).toBe(29 * 86_400);
    expect(windowAt({ kind: 'month' }, Date.UTC(2026, 11, 31, 12))).toEqual({ start: Date.UTC(2026, 11, 1), end: Date.UTC(2027, 0, 1), seconds: 31 * 86_400 });
  });

  it('round the time to reset up to whole seconds, never below 1', () => {
    expect(secondsUntil(10_000, 9_999)).toBe(1);
    expect(secondsUntil(10_000, 8_001)).toBe(2);
    expect(secondsUntil(10_000, 10_000)).toBe(1);
  });
});

describe('RateLimit header fields', () => {
  const windows = [
    { name: 'per_second', limit: 5, windowSeconds: 1, remaining: 4, resetSeconds: 1, exhausted: false },
    { name: 'per_day', limit: 5000, windowSeconds: 86_400, remaining: 4999, resetSeconds: 43_200, exhausted: false },
  ];

  it('are structured-field lists of quoted policy names with q/w and r/t parameters', () => {
    expect(rateLimitPolicyField(windows)).toBe('"per_second";q=5;w=1, "per_day";q=5000;w=86400');
    expect(rateLimitField(windows)).toBe('"per_second";r=4;t=1, "per_day";r=4999;t=43200');
  });

  it('escape quotes and backslashes in a name as RFC 9651 strings require', () => {
    expect(rateLimitField([{ ...windows[0]!, name: 'a"b\\c' }])).toBe('"a\\"b\\\\c";r=4;t=1');
  });
});
