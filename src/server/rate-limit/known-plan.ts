import { invalidFields } from '../validation.js';
import type { RateLimiter } from './limiter.js';

/** A consumer may only be put on a configured plan (null means the default plan). */
export function assertKnownPlan(limiter: Pick<RateLimiter, 'hasPlan' | 'plans'>, plan: string | null | undefined): void {
  if (plan === null || plan === undefined || limiter.hasPlan(plan)) return;
  throw invalidFields('request body', [{ path: 'plan', message: `Unknown plan "${plan}"; configured plans: ${Object.keys(limiter.plans).join(', ')}.` }]);
}
