import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clockSkewServerTime, createCorrectedClock, retryOnceOnClockSkew } from '../../src/client/clock-offset.js';

describe('the corrected clock', () => {
  it('starts at the local clock plus the given offset', () => {
    const clock = createCorrectedClock(() => 1_000, 250);
    expect(clock.now()).toBe(1_250);
    expect(clock.offsetMs).toBe(250);
  });

  it('learns an offset that puts now() in the middle of the server second, wherever the local clock is', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4_000_000_000_000 }), fc.integer({ min: 0, max: 4_000_000_000 }), (localMs, serverSeconds) => {
        const clock = createCorrectedClock(() => localMs);
        clock.learn(serverSeconds);
        expect(clock.now()).toBe(serverSeconds * 1000 + 500);
        expect(clock.offsetMs).toBe(serverSeconds * 1000 + 500 - localMs);
      }),
    );
  });
});

describe('clockSkewServerTime', () => {
  it('reads server_time from a 401 token_expired or token_issued_in_future problem', () => {
    expect(clockSkewServerTime(401, { code: 'token_expired', server_time: 1_700_000_000 })).toBe(1_700_000_000);
    expect(clockSkewServerTime(401, { code: 'token_issued_in_future', server_time: 5 })).toBe(5);
  });

  it('ignores other codes, other statuses, a missing or non-numeric server_time and non-objects', () => {
    expect(clockSkewServerTime(401, { code: 'invalid_token', server_time: 5 })).toBeUndefined();
    expect(clockSkewServerTime(403, { code: 'token_expired', server_time: 5 })).toBeUndefined();
    expect(clockSkewServerTime(401, { code: 'token_expired' })).toBeUndefined();
    expect(clockSkewServerTime(401, { code: 'token_expired', server_time: '5' })).toBeUndefined();
    expect(clockSkewServerTime(401, undefined)).toBeUndefined();
    expect(clockSkewServerTime(401, 'token_expired')).toBeUndefined();
  });
});

describe('retryOnceOnClockSkew', () => {
  it('sends once when the answer is not a clock-skew refusal', async () => {
    const clock = createCorrectedClock(() => 10_000);
    const sentAt: number[] = [];
    const answer = await retryOnceOnClockSkew(
      clock,
      async (nowMs) => (sentAt.push(nowMs), 'ok'),
      () => undefined,
    );
    expect(answer).toBe('ok');
    expect(sentAt).toEqual([10_000]);
    expect(clock.offsetMs).toBe(0);
  });

  it('learns from the refusal and sends once more on the corrected clock, returning the second answer', async () => {
    const clock = createCorrectedClock(() => 10_000);
    const sentAt: number[] = [];
    const answer = await retryOnceOnClockSkew(
      clock,
      async (nowMs) => (sentAt.push(nowMs), sentAt.length === 1 ? { status: 401, body: { code: 'token_expired', server_time: 700 } } : { status: 200, body: {} }),
      (a) => clockSkewServerTime(a.status, a.body),
    );
    expect(answer.status).toBe(200);
    expect(sentAt).toEqual([10_000, 700_500]);
    expect(clock.offsetMs).toBe(690_500);
  });

  it('retries at most once: a second refusal is returned as it is', async () => {
    const clock = createCorrectedClock(() => 0);
    let sends = 0;
    const refusal = { status: 401, body: { code: 'token_issued_in_future', server_time: 1 } };
    const answer = await retryOnceOnClockSkew(
      clock,
      async () => (sends++, refusal),
      (a) => clockSkewServerTime(a.status, a.body),
    );
    expect(answer).toBe(refusal);
    expect(sends).toBe(2);
  });
});
