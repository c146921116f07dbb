import { performance } from 'node:perf_hooks';
import { SignetError } from '../../protocol/errors.js';
import { formatWindowLength } from '../../plans.js';
import type { SignetMetrics } from '../metrics.js';
import type { VerifiedRequest, Verifier } from '../verifier.js';
import type { RateDecision, RateLimiter } from './limiter.js';

/** A verified request that the rate limiter let through, with the state of its windows. */
export interface AdmittedRequest extends VerifiedRequest {
  rateLimit: RateDecision;
}

export function isAdmitted(auth: VerifiedRequest | undefined): auth is AdmittedRequest {
  return auth !== undefined && (auth as Partial<AdmittedRequest>).rateLimit !== undefined;
}

/**
 * 429 rate_limited. The problem body names the plan and the window that refused; the verified
 * request and the decision travel with the error so the headers and the usage record can be
 * written for the refusal too.
 */
export class RateLimitRefusal extends SignetError {
  constructor(
    readonly verified: VerifiedRequest,
    readonly decision: RateDecision,
  ) {
    const exhausted = decision.windows.filter((w) => w.exhausted);
    const worst = exhausted.reduce((a, b) => (b.resetSeconds > a.resetSeconds ? b : a));
    const window = decision.limits.windows.find((w) => w.name === worst.name)!;
    super('rate_limited', {
      detail: `The limit "${worst.name}" of plan "${decision.limits.plan}" (${worst.limit} requests per ${formatWindowLength(window.length)}) is used up; retry in ${decision.retryAfterSeconds} s.`,
      extra: {
        plan: decision.limits.plan,
        policy: worst.name,
        limit: worst.limit,
        window_seconds: worst.windowSeconds,
        retry_after: decision.retryAfterSeconds,
        exhausted: exhausted.map((w) => w.name),
      },
    });
  }
}

/**
 * The verifier followed by the rate limiter: every route that authenticates with the returned
 * function is limited right after the signature is accepted, before its handler (and its scope
 * check) runs. Also times the verifier for the latency histogram.
 */
export function withRateLimit(verify: Verifier, limiter: RateLimiter, metrics?: SignetMetrics): Verifier {
  return async function verifyAndAdmit(request) {
    let verified: VerifiedRequest;
    if (metrics === undefined) {
      verified = await verify(request);
    } else {
      const started = performance.now();
      try {
        verified = await verify(request);
      } catch (error) {
        metrics.verification.observe({ result: 'refused' }, (performance.now() - started) / 1000);
        throw error;
      }
      metrics.verification.observe({ result: 'ok' }, (performance.now() - started) / 1000);
    }
    // Counted already when the replay step counted it (one store call for both, fresh tokens only).
    const counted = verified.rateCounted;
    const deciding = counted === undefined ? limiter.admit(verified.consumer) : limiter.decide(counted.counting, counted.counts);
    // An admitted request's decision on counts already made is synchronous: no microtask hop then.
    const decision = deciding instanceof Promise ? await deciding : deciding;
    verified.rateCounted = undefined;
    if (!decision.allowed) {
      const refusal = new RateLimitRefusal(verified, decision);
      metrics?.rateLimitRefusals.inc({ plan: decision.limits.plan, policy: String(refusal.extra.policy) });
      throw refusal;
    }
    // The verifier made this object for this request alone: extend it rather than copy it.
    const admitted = verified as AdmittedRequest;
    admitted.rateLimit = decision;
    return admitted;
  };
}
