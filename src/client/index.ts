/**
 * The Signet client kit, browser-safe: nothing here imports a Node built-in. Node programs that
 * read and write key files also get ./node.js (the package's `./client` export under Node).
 */
export * from './keys.js';
export { decodeOpenSshPrivateKey, encodeOpenSshPrivateKey, isOpenSshPrivateKey, type OpenSshEd25519Key } from './openssh-private-key.js';
export { toSigningKey, type ClientKey, type SigningKey } from './signing-key.js';
export { SignetResponseError, isProblemResponse, type SignetProblem } from './errors.js';
export { bufferBody, DEFAULT_MAX_BODY_BYTES, type BufferedBody, type JsonBody } from './body.js';
export { createCorrectedClock, clockSkewServerTime, retryOnceOnClockSkew, type CorrectedClock } from './clock-offset.js';
export { discoverServer, type DiscoveredSettings } from './discovery.js';
export { DISCOVERY_PATH, type DiscoveryDocument } from '../protocol/discovery.js';
export { createSignedFetch, type SignedFetch, type SignedFetchOptions, type SignedRequestInit } from './signed-fetch.js';
export { presignUrl, type PresignOptions, type PresignedLink } from './presign.js';
export { parseTtl } from './duration.js';
export { signRequest, type ClientSignRequestInput, type SignRequestInput, type SignedRequest } from './sign.js';
export { looksLikeHmacSecret, parseHmacSecret } from '../protocol/hmac-secret.js';
export { HMAC_SECRET_PREFIX } from '../protocol/secret-formats.js';
export { SignetError, ERROR_CODES, type ErrorCode, type BindingMismatch } from '../protocol/errors.js';
export { AUTH_SCHEME, PRESIGN_PARAM, TOKEN_TYPE, type RequestClaims } from '../protocol/format.js';
export { canonicalizeUrl } from '../protocol/target.js';
export { publicKeyToJwk, publicKeyToPem, publicKeyToOpenSsh } from '../protocol/public-key.js';
