export * from './protocol/index.js';
export { loadConfig, ConfigError, type Config } from './config.js';
export { systemClock, ManualClock, type Clock } from './clock.js';
export { createSignet, type Signet, type CreateSignetOptions } from './embed/create-signet.js';
export type { RequestToVerify, RouteRules, Verdict, Accepted, Refused, RequestVerifier, VerifierHandle, HeaderBag } from './adapters/verify-request.js';
export type { AdmittedRequest } from './server/rate-limit/admission.js';
export type { VerifiedRequest } from './server/verifier.js';
