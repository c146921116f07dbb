import { signHttpRequest, type SignHttpRequestInput } from '../../src/client/http-signature.js';
import type { SigningKey } from '../../src/client/signing-key.js';
import type { Ed25519KeyPair } from '../../src/client/keys.js';
import type { Harness } from './harness.js';

/** RFC 9421 requests to a harness, signed by Signet's own client kit signer unless overridden. */
export interface HttpSignedCall {
  method: string;
  path: string;
  body?: string;
  key: SigningKey;
  kid: string;
  /** Overrides applied to what is signed. */
  signed?: Partial<Omit<SignHttpRequestInput, 'key' | 'kid'>>;
  /** Changes the headers after signing (to tamper with them); may return extra raw header lines. */
  mangle?: (headers: Record<string, string>) => void;
}

export function edKey(pair: Ed25519KeyPair): SigningKey {
  return { type: 'ed25519', privateKey: pair.privateKey };
}

export async function httpSignedHeaders(h: Harness, call: HttpSignedCall): Promise<Record<string, string>> {
  const signed = await signHttpRequest({
    method: call.method,
    url: h.origin + call.path,
    ...(call.body !== undefined ? { body: call.body } : {}),
    key: call.key,
    kid: call.kid,
    now: h.clock.now(),
    ...call.signed,
  });
  const headers = { ...signed.headers };
  call.mangle?.(headers);
  return headers;
}

export async function sendHttpSigned(h: Harness, call: HttpSignedCall): Promise<Response> {
  const headers = await httpSignedHeaders(h, call);
  return fetch(h.baseUrl + call.path, { method: call.method, headers, ...(call.body !== undefined ? { body: call.body } : {}) });
}
