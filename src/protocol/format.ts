/**
 * Wire constants of the Signet protocol (docs/protocol.md is the normative text).
 */

/** `typ` header value; pins these tokens apart from every other JWT a key might sign. */
export const TOKEN_TYPE = 'signet+jwt';

/** Authorization scheme: `Authorization: Signet <compact JWS>`. */
export const AUTH_SCHEME = 'Signet';

/** Query parameter carrying the JWS of a presigned link; excluded from the bound target. */
export const PRESIGN_PARAM = 'signet_token';

/**
 * Header of a key upload carrying the proof of possession: a token like the Authorization one,
 * over the same request, signed by the key being uploaded, whose `kid` is that key's RFC 7638
 * thumbprint (docs/enrollment.md).
 */
export const PROOF_HEADER = 'Signet-Proof';

/** Token size cap, checked before any decoding. */
export const MAX_TOKEN_LENGTH = 8192;

/** The only header members a token may carry; anything else (jwk, jku, x5u, crit, b64...) is refused. */
export const HEADER_MEMBERS = ['alg', 'kid', 'typ'] as const;

/** The only claims a token may carry; all are required. */
export const CLAIMS = ['method', 'url', 'body_sha256', 'aud', 'iat', 'exp', 'jti'] as const;

export type KeyType = 'ed25519' | 'hmac';

/**
 * The algorithms each stored key type accepts. The server takes the algorithm from the stored key,
 * never from the token: the header's `alg` must merely be one of these.
 */
export const ALGORITHMS_BY_KEY_TYPE: Readonly<Record<KeyType, readonly string[]>> = Object.freeze({
  ed25519: Object.freeze(['EdDSA', 'Ed25519']),
  hmac: Object.freeze(['HS256']),
});

export const KID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

/** 22 base64url characters carry 132 bits: at least the 128 random bits the protocol asks for. */
export const JTI_PATTERN = /^[A-Za-z0-9_-]{22,128}$/;

export const DEFAULT_TOKEN_LIFETIME_SECONDS = 60;
export const MAX_TOKEN_LIFETIME_SECONDS = 300;

/** base64url(SHA-256 of zero bytes): the body hash of every request without a body. */
export const EMPTY_BODY_SHA256 = '47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU';

export interface TokenHeader {
  alg: string;
  kid: string;
  typ: typeof TOKEN_TYPE;
}

export interface RequestClaims {
  method: string;
  url: string;
  body_sha256: string;
  aud: string;
  iat: number;
  exp: number;
  jti: string;
}
