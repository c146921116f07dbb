export { createApp, type AppDeps, type SignetApp } from './app.js';
export { authenticate, type AuthenticateOptions } from './middleware/authenticate.js';
export { rawBody } from './middleware/raw-body.js';
export { errorHandler } from './middleware/errors.js';
export { requestId } from './middleware/request-id.js';
export { createVerifier, type Verifier, type VerifiedRequest, type IncomingRequest } from './verifier.js';
export { KeyCache } from './key-cache.js';
export { startServer, type RunningServer } from './start.js';
export type { SignetState } from './state.js';
