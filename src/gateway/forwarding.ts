import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { SignetError } from '../protocol/errors.js';
import { RESERVED_PREFIX } from './identity-headers.js';

/** RFC 9110 section 7.6.1: fields meant for one connection, never forwarded. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

function connectionTokens(headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>): Set<string> {
  const value = headers.connection;
  const text = Array.isArray(value) ? value.join(',') : (value ?? '');
  return new Set(
    text
      .split(',')
      .map((t) => t.trim().toLowerCase())
      .filter((t) => t !== ''),
  );
}

/** The response fields to pass back to the client: all but the hop-by-hop ones. */
export function responseHeaders(upstream: Record<string, string | string[] | undefined>): OutgoingHttpHeaders {
  const named = connectionTokens(upstream);
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(upstream)) {
    if (value === undefined || HOP_BY_HOP.has(name) || named.has(name)) continue;
    out[name] = value;
  }
  return out;
}

export interface ForwardContext {
  /** The client's address as this server sees it. */
  remoteAddress: string | undefined;
  /** Whether an X-Forwarded-For from the client is kept (SIGNET_TRUST_PROXY). */
  trustForwardedFor: boolean;
  /** The scheme clients use (the public origin's). */
  proto: string;
  keepAuthorization: boolean;
  /** Set last, after every incoming `signet-*` field is gone. */
  identity: Record<string, string>;
}

/**
 * The request fields for the upstream: hop-by-hop fields, Host, the body framing (the forwarded
 * body is a buffer of known length), every incoming `signet-*` field and (unless the route asks)
 * Authorization removed; X-Forwarded-For/-Proto/-Host and the identity fields set.
 */
export function upstreamRequestHeaders(incoming: IncomingHttpHeaders, context: ForwardContext): Record<string, string | string[]> {
  const named = connectionTokens(incoming);
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined || HOP_BY_HOP.has(name) || named.has(name)) continue;
    if (name === 'host' || name === 'content-length' || name.startsWith(RESERVED_PREFIX) || name.startsWith('x-forwarded-')) continue;
    if (name === 'authorization' && !context.keepAuthorization) continue;
    out[name] = value;
  }
  const client = context.remoteAddress ?? 'unknown';
  const earlier = context.trustForwardedFor ? incoming['x-forwarded-for'] : undefined;
  out['x-forwarded-for'] = earlier === undefined ? client : `${Array.isArray(earlier) ? earlier.join(', ') : earlier}, ${client}`;
  out['x-forwarded-proto'] = context.proto;
  if (incoming.host !== undefined) out['x-forwarded-host'] = incoming.host;
  for (const [name, value] of Object.entries(context.identity)) out[name] = value;
  return out;
}

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

/** An upstream failure as the problem the client gets: 504 when it was too slow, 502 otherwise. */
export function upstreamFailure(error: unknown): SignetError {
  const code = (error as { code?: string } | null)?.code ?? '';
  const privateDetail = `upstream: ${code} ${(error as Error | null)?.message ?? String(error)}`;
  if (TIMEOUT_CODES.has(code)) return new SignetError('upstream_timeout', { privateDetail, cause: error });
  return new SignetError('upstream_unavailable', { privateDetail, cause: error });
}
