import type { FreshTokenCount, FreshTokenCounter } from '../../store/types.js';
import type { VerifierDeps } from '../verifier.js';
import type { RateLimiter, WindowCounting } from './limiter.js';

/**
 * The verifier's replay step that also counts a fresh token against its consumer's rate-limit
 * windows, in one store call (one round trip on Redis, where the replay check and the limiter's
 * adds took two). The order of checks stays: this runs last in the verifier, after the signature
 * and every claim; a replayed token counts nothing; withRateLimit then decides on the counts.
 */
export function countFreshTokens(limiter: RateLimiter, store: FreshTokenCounter): NonNullable<VerifierDeps['spendToken']> {
  return function spendAndCount(resolved, jti, expiresAtMs, issuedAtMs) {
    const counting = limiter.counting(resolved.consumer);
    const answer = store.checkAndSetThenCount(resolved.key.id, jti, expiresAtMs, issuedAtMs, counting.counters);
    // A store in memory answers synchronously: passed on as it is, without a promise or a closure around it.
    return answer instanceof Promise ? answer.then((count) => spent(count, counting)) : spent(answer, counting);
  };
}

function spent({ verdict, counts }: FreshTokenCount, counting: WindowCounting) {
  return verdict === 'fresh' ? { verdict, counted: { counting, counts } } : { verdict };
}
