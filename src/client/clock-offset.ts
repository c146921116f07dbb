/** Refusals that blame the signer's clock rather than the token: worth one retry on a corrected clock. */
const CLOCK_SKEW_CODES: ReadonlySet<string> = new Set(['token_expired', 'token_issued_in_future']);

/**
 * The local clock plus an offset learnt from the server's time. Every token a client signs takes
 * its `iat` from here, so several tokens on one request (Authorization and Signet-Proof) and
 * several signers sharing one clock stay consistent.
 */
export interface CorrectedClock {
  /** Local time plus the learnt offset, in epoch milliseconds. */
  now(): number;
  /** Milliseconds added to the local clock. */
  readonly offsetMs: number;
  /** Learns the offset from a refusal's `server_time` (whole seconds since the epoch). */
  learn(serverTimeSeconds: number): void;
  /** Takes an offset measured elsewhere (the discovery document's `server_time`, allowing for its age). */
  adopt(offsetMs: number): void;
}

export function createCorrectedClock(localNow: () => number = () => Date.now(), initialOffsetMs = 0): CorrectedClock {
  let offsetMs = initialOffsetMs;
  return {
    now: () => localNow() + offsetMs,
    get offsetMs() {
      return offsetMs;
    },
    learn(serverTimeSeconds) {
      // server_time is whole seconds: aim at the middle of that second.
      offsetMs = serverTimeSeconds * 1000 + 500 - localNow();
    },
    adopt(measuredMs) {
      offsetMs = measuredMs;
    },
  };
}

/**
 * The server's time from an answer that refuses a token because of the signer's clock (a 401 with
 * `token_expired` or `token_issued_in_future` and a numeric `server_time`), else undefined.
 */
export function clockSkewServerTime(status: number, problem: unknown): number | undefined {
  if (status !== 401 || typeof problem !== 'object' || problem === null) return undefined;
  const { code, server_time: serverTime } = problem as { code?: unknown; server_time?: unknown };
  if (typeof code !== 'string' || !CLOCK_SKEW_CODES.has(code)) return undefined;
  return typeof serverTime === 'number' && Number.isFinite(serverTime) ? serverTime : undefined;
}

/**
 * Sends once, signing at `clock.now()`; if `serverTimeOf` finds a clock-skew refusal in the answer,
 * learns the offset from it and sends once more, re-signed (so with a fresh `jti`). The second
 * answer is returned whatever it is: a clock that is still wrong after one correction is not
 * a clock problem.
 */
export async function retryOnceOnClockSkew<T>(clock: CorrectedClock, send: (nowMs: number) => Promise<T>, serverTimeOf: (answer: T) => number | undefined): Promise<T> {
  const first = await send(clock.now());
  const serverTime = serverTimeOf(first);
  if (serverTime === undefined) return first;
  clock.learn(serverTime);
  return send(clock.now());
}
