import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { Stores } from '../store/factory.js';
import type { CredentialService } from './credentials/credential-service.js';
import type { LastUsedRecorder } from './last-used.js';
import type { Logger } from './logger.js';
import type { SignetMetrics } from './metrics.js';
import type { ProofVerifier } from './proof.js';
import type { HmacKeys } from './secrets/hmac-keys.js';
import type { AuthFailureLimiter } from './rate-limit/auth-failures.js';
import type { RateLimiter } from './rate-limit/limiter.js';
import type { UsageRecorder } from './usage/recorder.js';
import type { Verifier } from './verifier.js';

/** Everything the routes share, built once by createApp. */
export interface ServerContext {
  config: Readonly<Config>;
  stores: Stores;
  clock: Clock;
  logger: Logger;
  /** Every consumer, key and enrollment-code change goes through here (it invalidates the caches). */
  credentials: CredentialService;
  lastUsed: LastUsedRecorder;
  verify: Verifier;
  /** Checks the Signet-Proof of a key upload (docs/enrollment.md). */
  verifyProof: ProofVerifier;
  /** Per-consumer rate limits (docs/rate-limits.md); `verify` already applies them. */
  limiter: RateLimiter;
  /** The per-address failure gate's counters (docs/rate-limits.md); undefined when SIGNET_AUTH_FAILURE_LIMIT is 0. */
  authFailures: AuthFailureLimiter | undefined;
  /** The usage buffer; a no-op when SIGNET_USAGE is off. */
  usage: UsageRecorder;
  /** Undefined when SIGNET_METRICS is off. */
  metrics: SignetMetrics | undefined;
  /** Issues HMAC keys and opens their sealed secrets (docs/modes.md). */
  hmacKeys: HmacKeys;
}
