/**
 * Wire constants of Signet's RFC 9421 (HTTP Message Signatures) request format
 * (docs/rfc9421.md is the normative text).
 */
import type { KeyType } from '../format.js';

export const SIGNATURE_INPUT_HEADER = 'signature-input';
export const SIGNATURE_HEADER = 'signature';
/** RFC 9530: the body digest a signature covers instead of the body itself. */
export const CONTENT_DIGEST_HEADER = 'content-digest';
/** Web Bot Auth: where an agent publishes its key directory. */
export const SIGNATURE_AGENT_HEADER = 'signature-agent';

/** The label Signet's own client signs under (any single label is accepted). */
export const DEFAULT_SIGNATURE_LABEL = 'sig1';

/** The `tag` parameter of a Web Bot Auth signature. */
export const WEB_BOT_AUTH_TAG = 'web-bot-auth';

/**
 * The `alg` parameter each stored key type accepts. As in the JWS format the algorithm comes from
 * the stored key: `alg`, when present, must merely agree with it.
 */
export const HTTP_SIGNATURE_ALGORITHMS: Readonly<Record<KeyType, string>> = Object.freeze({ ed25519: 'ed25519', hmac: 'hmac-sha256' });

/** Size caps, checked before parsing: as long as the largest JWS token Signet accepts. */
export const MAX_SIGNATURE_FIELD_LENGTH = 8192;
export const MAX_CONTENT_DIGEST_LENGTH = 1024;
/** More covered components than any honest signer needs; a bound on the work of building a base. */
export const MAX_COVERED_COMPONENTS = 32;

/** The only signature parameters accepted; any other is refused, like unknown JWS header members. */
export const SIGNATURE_PARAMETERS = ['created', 'expires', 'nonce', 'keyid', 'alg', 'tag'] as const;

/**
 * Fields a signature may cover as one member of a Structured Field dictionary (RFC 9421 section
 * 2.1.2, the `key` component parameter): Web Bot Auth's Signature-Agent, whose current drafts make
 * it a dictionary of agent URLs. No other component parameter is accepted.
 */
export const DICTIONARY_MEMBER_FIELDS = [SIGNATURE_AGENT_HEADER] as const;

/** Derived components Signet can rebuild from a request (RFC 9421 section 2.2). */
export const DERIVED_COMPONENTS = ['@method', '@target-uri', '@authority', '@scheme', '@request-target', '@path', '@query'] as const;

/**
 * What a Signet signature must cover: the method and the whole target (as `@target-uri`, or as
 * `@authority` + `@path` + `@query`), and `content-digest` whenever the request has a body.
 */
export const REQUIRED_METHOD_COMPONENT = '@method';
export const TARGET_URI_COMPONENT = '@target-uri';
export const SPLIT_TARGET_COMPONENTS = ['@authority', '@path', '@query'] as const;
