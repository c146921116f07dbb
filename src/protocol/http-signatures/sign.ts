import { serializeInnerList, type BareItem, type Item } from 'structured-headers';
import type { KeyType, RequestClaims } from '../format.js';
import { sha256Base64url } from '../hash.js';
import { newJti } from '../ids.js';
import { prepareSigning, type RequestTokenInput } from '../sign.js';
import { CONTENT_DIGEST_HEADER, DEFAULT_SIGNATURE_LABEL, HTTP_SIGNATURE_ALGORITHMS, SIGNATURE_INPUT_HEADER } from './constants.js';
import { contentDigestFor } from './content-digest.js';
import { signatureBase } from './signature-base.js';

/** The JWS token's input, with a nonce for its jti, the key's type for its alg, and no audience (the target URI binds the origin). */
export interface HttpSignatureInput extends Omit<RequestTokenInput, 'jti' | 'audience' | 'alg'> {
  /** The type of the key that will sign: it names the `alg` parameter. */
  keyType: KeyType;
  /** At least 128 random bits, base64url; the same one-time value as a JWS `jti`. */
  nonce?: string;
  /** Defaults to DEFAULT_SIGNATURE_LABEL. */
  label?: string;
  /** The `tag` parameter (an application's name for what the signature is for); none by default. */
  tag?: string;
}

/** Everything of an RFC 9421 signature but the signature bytes. */
export interface HttpSignatureToSign {
  label: string;
  /** Fields to add to the request, lower-case names: signature-input, and content-digest with a body. */
  headers: Record<string, string>;
  /** Covered components, in order. */
  components: string[];
  /** The signature base (RFC 9421 section 2.5): the bytes to sign, UTF-8 encoded. */
  base: string;
  /**
   * What this signature binds, in the JWS format's terms (for diagnostics such as `--explain`):
   * `iat` is `created`, `exp` is `expires`, `jti` is `nonce`; `aud` is the URL's origin, which
   * `@target-uri` binds.
   */
  claims: RequestClaims;
}

/**
 * The RFC 9421 message signature of one HTTP request with Signet's required components and
 * parameters, up to the signature itself: `@method`, `@target-uri`, and `content-digest` when there
 * is a body; `created`, `expires`, `nonce`, `keyid` and `alg`. Signing the base is the client kit's
 * job; building it here, next to the parser the verifier uses, keeps the two from drifting apart.
 */
export async function httpSignatureToSign(input: HttpSignatureInput): Promise<HttpSignatureToSign> {
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
    ['alg', HTTP_SIGNATURE_ALGORITHMS[input.keyType]],
  ]);
  if (input.tag !== undefined) params.set('tag', input.tag);
  const signatureParams = serializeInnerList([components.map((name): Item => [name, new Map()]), params]);
  const base = signatureBase(components, signatureParams, { method, targetUri: canonical.href, header: (name) => headers[name] });
  const label = input.label ?? DEFAULT_SIGNATURE_LABEL;
  headers[SIGNATURE_INPUT_HEADER] = `${label}=${signatureParams}`;
  const claims: RequestClaims = {
    method,
    url: canonical.href,
    body_sha256: await sha256Base64url(body),
    aud: canonical.origin,
    iat: created,
    exp: created + lifetime,
    jti: nonce,
  };
  return { label, headers, components, base, claims };
}
