import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { Stores } from '../store/factory.js';
import type { KeyCache } from './key-cache.js';
import type { LastUsedRecorder } from './last-used.js';
import type { Logger } from './logger.js';
import type { ProofVerifier } from './proof.js';
import type { Verifier } from './verifier.js';

/** Everything the routes share, built once by createApp. */
export interface ServerContext {
  config: Readonly<Config>;
  stores: Stores;
  clock: Clock;
  logger: Logger;
  keyCache: KeyCache;
  lastUsed: LastUsedRecorder;
  verify: Verifier;
  /** Checks the Signet-Proof of a key upload (docs/enrollment.md). */
  verifyProof: ProofVerifier;
}
