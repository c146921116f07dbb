import { serializeInnerList, type BareItem, type Item } from 'structured-headers';
import { encodeBase64 } from '../base64url.js';
import type { RequestClaims } from '../format.js';
import { sha256Base64url } from '../hash.js';
import { newJti } from '../ids.js';
import { prepareSigning, signBytes, type SignRequestInput } from '../sign.js';
import { CONTENT_DIGEST_HEADER, DEFAULT_SIGNATURE_LABEL, HTTP_SIGNATURE_ALGORITHMS, SIGNATURE_HEADER, SIGNATURE_INPUT_HEADER } from './constants.js';
import { contentDigestFor } from './content-digest.js';
import { signatureBase } from './signature-base.js';

/** The JWS signer's input, with a nonce for its jti and no audience (the target URI binds the origin). */
export interface SignHttpRequestInput extends Omit<SignRequestInput, 'jti' | 'audience'> {
  /** At least 128 random bits, base64url; the same one-time value as a JWS `jti`. */
  nonce?: string;
  /** Defaults to DEFAULT_SIGNATURE_LABEL. */
  label?: string;
  /** The `tag` parameter (an application's name for what the signature is for); none by default. */
  tag?: string;
}

export interface HttpSignedRequest {
  format: 'rfc9421';
  /** Fields to add to the request, lower-case names: signature-input, signature, and content-digest with a body. */
  headers: Record<string, string>;
  /** Covered components, in order. */
  components: string[];
  /**
   * What this signature binds, in the JWS format's terms (for diagnostics such as `--explain`):
   * `iat` is `created`, `exp` is `expires`, `jti` is `nonce`; `aud` is the URL's origin, which
   * `@target-uri` binds.
   */
  claims: RequestClaims;
}

const encoder = new TextEncoder();

/**
 * Signs one HTTP request as an RFC 9421 message signature with Signet's required components and
 * parameters: `@method`, `@target-uri`, and `content-digest` when there is a body; `created`,
 * `expires`, `nonce`, `keyid` and `alg`.
 */
export async function signHttpRequest(input: SignHttpRequestInput): Promise<HttpSignedRequest> {
  const { canonical, lifetime, body } = prepareSigning(input);
  const method = input.method.toUpperCase();
  const headers: Record<string, string> = {};
  const components = ['@method', '@target-uri'];
  if (body.length > 0) {
    headers[CONTENT_DIGEST_HEADER] = await contentDigestFor(body);
    components.push(CONTENT_DIGEST_HEADER);
  }
  const created = Math.floor((input.now ?? Date.now()) / 1000);
  const nonce = input.nonce ?? newJti();
  const params = new Map<string, BareItem>([
    ['created', created],
    ['expires', created + lifetime],
    ['nonce', nonce],
    ['keyid', input.kid],
    ['alg', HTTP_SIGNATURE_ALGORITHMS[input.key.type === 'hmac' ? 'hmac' : 'ed25519']],
  ]);
  if (input.tag !== undefined) params.set('tag', input.tag);
  const signatureParams = serializeInnerList([components.map((name): Item => [name, new Map()]), params]);
  const base = signatureBase(components, signatureParams, { method, targetUri: canonical.href, header: (name) => headers[name] });
  const signature = await signBytes(input.key, encoder.encode(base));
  const label = input.label ?? DEFAULT_SIGNATURE_LABEL;
  headers[SIGNATURE_INPUT_HEADER] = `${label}=${signatureParams}`;
  headers[SIGNATURE_HEADER] = `${label}=:${encodeBase64(signature)}:`;
  const claims: RequestClaims = {
    method,
    url: canonical.href,
    body_sha256: await sha256Base64url(body),
    aud: canonical.origin,
    iat: created,
    exp: created + lifetime,
    jti: nonce,
  };
  return { format: 'rfc9421', headers, components, claims };
}
