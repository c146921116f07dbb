import { SignetError } from '../../protocol/errors.js';
import type { SignetMetrics } from '../metrics.js';
import type { AuthFailureLimiter, FailureSlot } from './auth-failures.js';
import { setRateLimitHeaders } from './headers.js';

const AUTH_FAILURE_POLICY = 'auth_failures';

/** One request's passage through the per-address failure gate. */
export interface GatePassage {
  /** Set when the address is turned away: the 429 and the headers (Retry-After, RateLimit) to answer it with. */
  refusal?: { error: SignetError; headers: Record<string, string> };
  /**
   * Counts the request as a failure if it ended in a 401, and ends its hold. Never throws; a
   * no-op once refused. Returns a promise only when it writes (a failure), so a request that
   * succeeded need not wait for anything.
   */
  settle(failed: boolean): Promise<void> | undefined;
}

const PASSED: GatePassage = { settle: () => undefined };

/**
 * The per-address failure gate, the same for `signet serve` (its Koa middleware), the adapters,
 * the embedding factory, the gateway and forward-auth: counts the request against its address before
 * anything is verified and answers the refusal every entry point sends. Counted in the limiter's
 * store, so every entry point sharing that store shares the counters.
 */
export function passAuthFailureGate(limiter: AuthFailureLimiter, address: string, metrics?: SignetMetrics): GatePassage | Promise<GatePassage> {
  // A store in memory answers synchronously: the passage then comes back without a promise.
  const slot = admitOrSkip(limiter, address);
  return slot instanceof Promise ? slot.then((admitted) => passage(admitted, address, metrics)) : passage(slot, address, metrics);
}

function passage(slot: FailureSlot | undefined, address: string, metrics: SignetMetrics | undefined): GatePassage {
  if (slot === undefined) return PASSED;
  const { state } = slot;
  if (!state.blocked) return slot;
  metrics?.authFailureRefusals.inc();
  const headers: Record<string, string> = { 'Retry-After': String(state.resetSeconds) };
  setRateLimitHeaders({ set: (name, value) => void (headers[name] = value) }, [
    { name: AUTH_FAILURE_POLICY, limit: state.limit, windowSeconds: state.windowSeconds, remaining: 0, resetSeconds: state.resetSeconds, exhausted: true },
  ]);
  const error = new SignetError('rate_limited', {
    detail: `Too many failed authentications from this address (${state.limit} per ${state.windowSeconds} s); retry in ${state.resetSeconds} s.`,
    privateDetail: `address ${address} blocked after ${state.limit} authentication failures`,
    extra: { policy: AUTH_FAILURE_POLICY, limit: state.limit, window_seconds: state.windowSeconds, retry_after: state.resetSeconds },
  });
  // A refused request's hold ended when it was refused.
  return { refusal: { error, headers }, settle: PASSED.settle };
}

/**
 * The counters live in Redis when several instances share them. While it is unreachable the gate
 * steps aside instead of turning every request away: nothing can authenticate then anyway (the
 * replay check needs Redis too and fails closed), and unsigned routes such as /openapi.json keep
 * working. A 401 stays a 401 even if it cannot be counted.
 */
function admitOrSkip(limiter: AuthFailureLimiter, address: string): FailureSlot | undefined | Promise<FailureSlot | undefined> {
  let slot: FailureSlot | Promise<FailureSlot>;
  try {
    slot = limiter.admit(address);
  } catch (error) {
    return skipIfUnavailable(error);
  }
  return slot instanceof Promise ? slot.catch(skipIfUnavailable) : slot;
}

function skipIfUnavailable(error: unknown): undefined {
  if (!(error instanceof SignetError && error.code === 'service_unavailable')) throw error;
  return undefined;
}
