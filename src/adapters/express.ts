import type { IncomingMessage, ServerResponse } from 'node:http';
import { admitNodeRequest, type SignetRequestFields } from './node.js';
import type { RouteRules, VerifierHandle } from './verify-request.js';

declare global {
  // Express's own Request type is merged from this global namespace; declaring it here needs no Express import.
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    // Declaration merging needs an interface; an empty one that only extends is exactly that.
    // eslint-disable-next-line @typescript-eslint/no-empty-object-type
    interface Request extends SignetRequestFields {}
  }
}

/**
 * Express middleware (4 and 5): verifies the request and puts the verified identity on
 * `req.signet` and the exact body on `req.rawBody`; a refusal is answered here as problem+json.
 * Mount it before any body parser: it reads the body stream itself (parse `req.rawBody` instead).
 * The per-address failure gate counts by `req.ip`, so Express's own `trust proxy` setting decides
 * whether X-Forwarded-For is believed.
 * Typed structurally, so the package does not depend on Express.
 */
export function signetExpress(signet: VerifierHandle, rules: RouteRules = {}) {
  return function signetMiddleware(req: IncomingMessage & SignetRequestFields, res: ServerResponse, next: (error?: unknown) => void): void {
    const ip = (req as { ip?: unknown }).ip;
    const admitted = typeof ip === 'string' ? admitNodeRequest(signet, req, res, rules, ip) : admitNodeRequest(signet, req, res, rules);
    admitted.then((passed) => (passed ? next() : undefined), next);
  };
}

export type { SignetRequestFields } from './node.js';
export type { RouteRules, VerifierHandle } from './verify-request.js';
