import { SignetError } from '../../protocol/errors.js';
import type { SignetMetrics } from '../metrics.js';
import type { AuthFailureLimiter } from './auth-failures.js';
import { setRateLimitHeaders } from './headers.js';

const AUTH_FAILURE_POLICY = 'auth_failures';

/** One request's passage through the per-address failure gate. */
export interface GatePassage {
  /** Set when the address is turned away: the 429 and the headers (Retry-After, RateLimit) to answer it with. */
  refusal?: { error: SignetError; headers: Record<string, string> };
  /** Keeps the request's failure slot if it ended in a 401, gives it back otherwise. Never throws; a no-op once refused. */
  settle(failed: boolean): Promise<void>;
}

const PASSED: GatePassage = { settle: async () => undefined };

/**
 * The per-address failure gate, the same for `signet serve` (its Koa middleware), the adapters,
 * the embedding factory, the gateway and forward-auth: takes the address's failure slot before
 * anything is verified and answers the refusal every entry point sends. Counted in the limiter's
 * store, so every entry point sharing that store shares the counters.
 */
export async function passAuthFailureGate(limiter: AuthFailureLimiter, address: string, metrics?: SignetMetrics): Promise<GatePassage> {
  const slot = await admitOrSkip(limiter, address);
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
  return { refusal: { error, headers }, settle: slot.settle };
}

/**
 * The counters live in Redis when several instances share them. While it is unreachable the gate
 * steps aside instead of turning every request away: nothing can authenticate then anyway (the
 * replay check needs Redis too and fails closed), and unsigned routes such as /openapi.json keep
 * working. A 401 stays a 401 even if it cannot be counted.
 */
async function admitOrSkip(limiter: AuthFailureLimiter, address: string) {
  try {
    return await limiter.admit(address);
  } catch (error) {
    if (!(error instanceof SignetError && error.code === 'service_unavailable')) throw error;
    return undefined;
  }
}
