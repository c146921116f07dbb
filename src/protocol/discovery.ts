import { ALGORITHMS_BY_KEY_TYPE, AUTH_SCHEME, DEFAULT_TOKEN_LIFETIME_SECONDS, PRESIGN_PARAM, PROOF_HEADER, TOKEN_TYPE } from './format.js';

/**
 * Where a server describes itself to clients. A well-known URI (RFC 8615) because a client that
 * knows only the API's origin must find it without configuration, as OpenID Connect clients find
 * /.well-known/openid-configuration; "signet" names the protocol, not the product's routes.
 */
export const DISCOVERY_PATH = '/.well-known/signet';

/** How long a discovery answer may be cached, in seconds: short, since it carries the server's time. */
export const DISCOVERY_MAX_AGE_SECONDS = 10;

/** What GET /.well-known/signet answers: everything a client needs to sign requests this server accepts. */
export interface DiscoveryDocument {
  protocol: 'signet';
  protocol_version: 1;
  /** The origin signed URLs are checked against. */
  public_origin: string;
  /** The `aud` every token must carry. */
  audience: string;
  authorization_scheme: string;
  token_type: string;
  default_token_lifetime_seconds: number;
  /** The longest `exp - iat` accepted. */
  max_token_lifetime_seconds: number;
  /** Seconds of clock difference tolerated either way. */
  clock_skew_seconds: number;
  /** The `alg` values each key type accepts. */
  algorithms: { ed25519: string[]; hmac: string[] };
  /** The encodings a public key may be uploaded in. */
  public_key_formats: string[];
  presign_parameter: string;
  proof_header: string;
  /** The server's time in epoch seconds when it answered. */
  server_time: number;
  docs_url: string;
  openapi_url: string;
}

export function discoveryDocument(settings: {
  publicOrigin: string;
  audience: string;
  maxTokenLifetimeSeconds: number;
  clockSkewSeconds: number;
  docsUrl: string | undefined;
  nowMs: number;
}): DiscoveryDocument {
  const openapi = new URL('/openapi.json', settings.publicOrigin).href;
  return {
    protocol: 'signet',
    protocol_version: 1,
    public_origin: settings.publicOrigin,
    audience: settings.audience,
    authorization_scheme: AUTH_SCHEME,
    token_type: TOKEN_TYPE,
    default_token_lifetime_seconds: Math.min(DEFAULT_TOKEN_LIFETIME_SECONDS, settings.maxTokenLifetimeSeconds),
    max_token_lifetime_seconds: settings.maxTokenLifetimeSeconds,
    clock_skew_seconds: settings.clockSkewSeconds,
    algorithms: { ed25519: [...ALGORITHMS_BY_KEY_TYPE.ed25519], hmac: [...ALGORITHMS_BY_KEY_TYPE.hmac] },
    public_key_formats: ['jwk', 'pem', 'openssh'],
    presign_parameter: PRESIGN_PARAM,
    proof_header: PROOF_HEADER,
    server_time: Math.floor(settings.nowMs / 1000),
    docs_url: settings.docsUrl ?? openapi,
    openapi_url: openapi,
  };
}

const positiveInteger = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value) && value > 0;

/** The members a client relies on, checked; undefined when the answer is not a Signet discovery document. */
export function parseDiscoveryDocument(json: unknown): Pick<DiscoveryDocument, 'audience' | 'max_token_lifetime_seconds' | 'clock_skew_seconds' | 'server_time'> | undefined {
  if (typeof json !== 'object' || json === null) return undefined;
  const d = json as Record<string, unknown>;
  if (d.protocol !== 'signet' || typeof d.audience !== 'string' || d.audience === '') return undefined;
  if (!positiveInteger(d.max_token_lifetime_seconds) || !positiveInteger(d.server_time)) return undefined;
  if (typeof d.clock_skew_seconds !== 'number' || !Number.isInteger(d.clock_skew_seconds) || d.clock_skew_seconds < 0) return undefined;
  return { audience: d.audience, max_token_lifetime_seconds: d.max_token_lifetime_seconds, clock_skew_seconds: d.clock_skew_seconds, server_time: d.server_time };
}
