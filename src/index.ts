export * from './protocol/index.js';
export { loadConfig, ConfigError, type Config } from './config.js';
export { systemClock, ManualClock, type Clock } from './clock.js';
// Signing moved from the protocol to the client kit (jose signs); the package root keeps offering it.
export { signRequest, type SignRequestInput, type SignedRequest } from './client/sign.js';
export type { SigningKey } from './client/signing-key.js';
