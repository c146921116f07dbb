export * from './protocol/index.js';
export { loadConfig, ConfigError, type Config } from './config.js';
export { systemClock, ManualClock, type Clock } from './clock.js';
// Signing moved from the protocol to the client kit (jose signs); the package root keeps offering it.
export { signRequest, type SignRequestInput, type SignedRequest } from './client/sign.js';
export type { SigningKey } from './client/signing-key.js';
export { createSignet, type Signet, type CreateSignetOptions } from './embed/create-signet.js';
export type { RequestToVerify, RouteRules, Verdict, Accepted, Refused, RequestVerifier, VerifierHandle, HeaderBag } from './adapters/verify-request.js';
export type { AdmittedRequest } from './server/rate-limit/admission.js';
export type { VerifiedRequest } from './server/verifier.js';
