import type { Logger } from './logger.js';
import type { VerifiedRequest } from './verifier.js';

/** What Signet's middleware puts on `ctx.state`. */
export interface SignetState {
  requestId: string;
  rawBody: Buffer;
  auth: VerifiedRequest;
  log: Logger;
}
