import { PRESIGN_PARAM } from './format.js';

// The path, when present, starts with "/": otherwise "https://user:pw@host/x" would read as host
// "user:pw" with the path "@host/x".
const ABSOLUTE_URL = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#@\s]+)(\/[^?#\s]*)?(\?[^#\s]*)?$/;
/** A host name or bracketed IPv6 literal, then an optional all-digit port. */
const AUTHORITY = /^(?:\[[0-9A-Fa-f:.]+\]|[^:[\]]+)(?::\d*)?$/;
const DEFAULT_PORTS: Record<string, string> = { http: '80', https: '443' };

export interface CanonicalUrl {
  /** `scheme://host[:port]`, lower case, default port dropped. */
  origin: string;
  /** Path and query, percent-escapes in upper case, empty query dropped. */
  target: string;
  /** origin + target: the value of the `url` claim. */
  href: string;
}

function upperEscapes(text: string): string {
  return text.replace(/%[0-9a-fA-F]{2}/g, (escape) => escape.toUpperCase());
}

/**
 * Canonical form of an absolute http(s) URL, as the `url` claim carries it. The rules (lower-case
 * scheme and host, no default port, `/` for an empty path, upper-case percent-escapes, no empty
 * `?`, no fragment, no user info) are the whole list; nothing is decoded and dot segments are kept,
 * because the server compares against the bytes it received. Returns undefined for anything else.
 */
export function canonicalizeUrl(url: string, options: { dropParam?: string } = {}): CanonicalUrl | undefined {
  const match = ABSOLUTE_URL.exec(url);
  if (match === null) return undefined;
  const scheme = match[1]!.toLowerCase();
  if (scheme !== 'http' && scheme !== 'https') return undefined;
  let authority = match[2]!.toLowerCase();
  if (!AUTHORITY.test(authority)) return undefined;
  const port = /:(\d*)$/.exec(authority);
  if (port !== null && (port[1] === '' || port[1] === DEFAULT_PORTS[scheme])) {
    authority = authority.slice(0, port.index);
  }
  const path = upperEscapes(match[3] ?? '/');
  let query = match[4] === undefined ? '' : upperEscapes(match[4].slice(1));
  if (options.dropParam !== undefined) query = dropQueryParam(query, options.dropParam);
  const target = query === '' ? path : `${path}?${query}`;
  const origin = `${scheme}://${authority}`;
  return { origin, target, href: origin + target };
}

function dropQueryParam(query: string, name: string): string {
  return query
    .split('&')
    .filter((pair) => pair.split('=', 1)[0] !== name)
    .join('&');
}

/**
 * The `url` the server expects: its configured public origin (never the Host header) plus the
 * request target exactly as received, canonicalised. A presigned link's own parameter is removed.
 */
export function expectedUrl(publicOrigin: string, requestTarget: string, presigned = false): string | undefined {
  if (!requestTarget.startsWith('/')) return undefined;
  // Canonicalising the whole URL canonicalises the origin part too; strip a trailing slash first.
  const origin = publicOrigin.endsWith('/') ? publicOrigin.slice(0, -1) : publicOrigin;
  return canonicalizeUrl(origin + requestTarget, presigned ? { dropParam: PRESIGN_PARAM } : {})?.href;
}

/** A path that canonicalisation leaves as it is: no percent-escape, query, fragment or white space. */
const PLAIN_TARGET = /^\/[^%?#\s]*$/;

/**
 * expectedUrl for one public origin, with the origin canonicalised once: a plain target (the usual
 * request) is appended as it is, anything else goes through expectedUrl. Same results, less work.
 */
export function expectedUrlFor(publicOrigin: string): (requestTarget: string, presigned?: boolean) => string | undefined {
  // The canonical form of origin + "/", less the "/": what every plain target is appended to.
  const prefix = expectedUrl(publicOrigin, '/')?.slice(0, -1);
  return (requestTarget, presigned = false) => (prefix !== undefined && !presigned && PLAIN_TARGET.test(requestTarget) ? prefix + requestTarget : expectedUrl(publicOrigin, requestTarget, presigned));
}

/** Reads one query parameter's raw value from a request target, without decoding others. */
export function queryParam(requestTarget: string, name: string): string | undefined {
  return queryParamValues(requestTarget, name)[0];
}

/** Every raw value of one query parameter, in order (a parameter may be repeated). */
export function queryParamValues(requestTarget: string, name: string): string[] {
  const q = requestTarget.indexOf('?');
  if (q < 0) return [];
  const values: string[] = [];
  for (const pair of requestTarget.slice(q + 1).split('&')) {
    const eq = pair.indexOf('=');
    if ((eq < 0 ? pair : pair.slice(0, eq)) === name) values.push(eq < 0 ? '' : pair.slice(eq + 1));
  }
  return values;
}
