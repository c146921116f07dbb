import { SignetError } from '../protocol/errors.js';
import type { RequestClaims } from '../protocol/format.js';
import { signRequest, type SignRequestInput } from './sign.js';

/** The two request formats a Signet server accepts (docs/protocol.md, docs/rfc9421.md). */
export type RequestFormat = 'jws' | 'rfc9421';
export const REQUEST_FORMATS: readonly RequestFormat[] = ['jws', 'rfc9421'];

export interface RequestFormatOptions {
  /** Default `jws`: `Authorization: Signet <compact JWS>`. `rfc9421`: Signature-Input, Signature and Content-Digest. */
  format?: RequestFormat;
  /** RFC 9421 only: the signature label (default `sig1`). */
  label?: string;
  /** RFC 9421 only: the `tag` parameter. */
  tag?: string;
}

/** Headers to add to a request, lower-case names, and what they bind (for diagnostics). */
export interface SignedHeaders {
  format: RequestFormat;
  headers: Record<string, string>;
  claims: RequestClaims;
}

export function parseRequestFormat(value: string | undefined): RequestFormat {
  if (value === undefined) return 'jws';
  if ((REQUEST_FORMATS as readonly string[]).includes(value)) return value as RequestFormat;
  throw new SignetError('invalid_request', { detail: `Unknown request format "${value}": use ${REQUEST_FORMATS.join(' or ')}.` });
}

/** Signs one request in either format, as the headers to send. */
export async function signToHeaders(input: SignRequestInput, options: RequestFormatOptions = {}): Promise<SignedHeaders> {
  if (options.format === 'rfc9421') {
    const signed = await signRequest(input, { ...options, format: 'rfc9421' });
    return { format: 'rfc9421', headers: signed.headers, claims: signed.claims };
  }
  const signed = await signRequest(input, { ...options, format: 'jws' });
  return { format: 'jws', headers: { authorization: signed.authorization }, claims: signed.claims };
}
