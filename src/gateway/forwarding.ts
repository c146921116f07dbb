import type { IncomingHttpHeaders } from 'node:http';
import { SignetError } from '../protocol/errors.js';
import type { AdmittedRequest } from '../server/rate-limit/admission.js';
import { pushIdentityHeaders, RESERVED_PREFIX } from './identity-headers.js';

/** RFC 9110 section 7.6.1: fields meant for one connection, never forwarded. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

const NO_TOKENS: ReadonlySet<string> = new Set();

/**
 * The field names a Connection header lists (RFC 9110 section 7.6.1), lower-case, less those that are
 * hop-by-hop anyway (dropped whether named or not). Most clients send "Connection: keep-alive",
 * which so names nothing more, without a set built per request.
 */
export function connectionTokens(value: string | readonly string[] | undefined): ReadonlySet<string> {
  if (value === undefined) return NO_TOKENS;
  const text = typeof value === 'string' ? value : value.join(',');
  if (HOP_BY_HOP.has(text.toLowerCase())) return NO_TOKENS;
  let named: Set<string> | undefined;
  for (const token of text.split(',')) {
    const name = token.trim().toLowerCase();
    if (name !== '' && !HOP_BY_HOP.has(name)) (named ??= new Set()).add(name);
  }
  return named ?? NO_TOKENS;
}

/**
 * The response fields for the client as a flat [name, value, ...] list (what `writeHead` takes
 * without building an object): the upstream's raw fields as undici hands them over, less the
 * hop-by-hop ones, those its Connection field names and those Signet sets itself (`own`, which
 * follow). Latin-1 both ways, so the bytes pass unchanged.
 */
export function responseHeaderLines(raw: readonly Buffer[], own: Readonly<Record<string, string>>): string[] {
  const ownNames: string[] = [];
  for (const name in own) ownNames.push(name.toLowerCase());
  const out: string[] = [];
  let connection: string[] | undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toString('latin1');
    const lower = name.toLowerCase();
    const value = raw[i + 1]!.toString('latin1');
    if (lower === 'connection') (connection ??= []).push(value);
    if (HOP_BY_HOP.has(lower) || ownNames.includes(lower)) continue;
    out.push(name, value);
  }
  const named = connectionTokens(connection);
  const kept = named.size === 0 ? out : out.filter((_, i, all) => !named.has(all[i - (i % 2)]!.toLowerCase()));
  for (const name in own) kept.push(name, own[name]!);
  return kept;
}

export interface ForwardContext {
  /** The client's address as this server sees it. */
  remoteAddress: string | undefined;
  /** Whether an X-Forwarded-For from the client is kept (SIGNET_TRUST_PROXY). */
  trustForwardedFor: boolean;
  /** The scheme clients use (the public origin's). */
  proto: string;
  keepAuthorization: boolean;
  /** The verified caller, whose identity fields are set last, after every incoming `signet-*` field is gone; none on a public route. */
  identity: AdmittedRequest | undefined;
  /** The Request-Id the answer carries, told to the upstream too. */
  requestId: string;
}

/**
 * Names never forwarded as they came: hop-by-hop, Host (the upstream's own is set by the client),
 * the body framing (the body is a buffer of known length) and Request-Id (the gateway sets its own:
 * a client's would reach the upstream's logs as a second, unchecked id).
 */
const NOT_FORWARDED = new Set([...HOP_BY_HOP, 'host', 'content-length', 'request-id']);

/**
 * The request fields for the upstream as a flat [name, value, ...] list: hop-by-hop fields, Host,
 * the body framing (the forwarded body is a buffer of known length), the client's Request-Id, every incoming `signet-*`
 * field and (unless the route asks) Authorization removed; X-Forwarded-For/-Proto/-Host and the
 * identity fields and Request-Id set. One flat list, no object per request: undici takes it as it is.
 */
export function upstreamRequestHeaders(incoming: IncomingHttpHeaders, context: ForwardContext): string[] {
  const named = connectionTokens(incoming.connection);
  const out: string[] = [];
  for (const name in incoming) {
    const value = incoming[name];
    if (value === undefined || NOT_FORWARDED.has(name) || (named !== NO_TOKENS && named.has(name))) continue;
    if (name.startsWith(RESERVED_PREFIX) || name.startsWith('x-forwarded-')) continue;
    if (name === 'authorization' && !context.keepAuthorization) continue;
    if (typeof value === 'string') out.push(name, value);
    else for (const one of value) out.push(name, one);
  }
  const client = context.remoteAddress ?? 'unknown';
  const earlier = context.trustForwardedFor ? incoming['x-forwarded-for'] : undefined;
  out.push('x-forwarded-for', earlier === undefined ? client : `${Array.isArray(earlier) ? earlier.join(', ') : earlier}, ${client}`);
  out.push('x-forwarded-proto', context.proto);
  if (incoming.host !== undefined) out.push('x-forwarded-host', incoming.host);
  if (context.identity !== undefined) pushIdentityHeaders(out, context.identity);
  out.push('request-id', context.requestId);
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
