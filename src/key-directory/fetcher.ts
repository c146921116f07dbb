/**
 * Fetching consumer-hosted key directories (a JWKS at a `jwks_uri`, or a Web Bot Auth
 * `/.well-known/http-message-signatures-directory`) is I/O: it sits beside the stores, behind this
 * interface, so the cache and its tests do not depend on the network.
 */
export interface FetchedDirectory {
  /** The response body, decoded as UTF-8 (the fetcher enforced the size limit). */
  body: string;
  /** `max-age` of the response's Cache-Control in seconds, when it had one (`no-store` and `no-cache` give 0). */
  maxAgeSeconds: number | undefined;
}

export interface KeyDirectoryFetcher {
  /** Fetches one directory; rejects with a DirectoryFetchError for anything but a good answer. */
  fetch(url: string): Promise<FetchedDirectory>;
}

/** Why a directory could not be fetched; the reason is for the operator's log and audit. */
export class DirectoryFetchError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'DirectoryFetchError';
  }
}

/** Reads `max-age` (or no-store / no-cache as 0) from a Cache-Control value. */
export function cacheControlMaxAge(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  let maxAge: number | undefined;
  for (const directive of value.toLowerCase().split(',')) {
    const [name, argument] = directive.trim().split('=', 2) as [string, string | undefined];
    if (name === 'no-store' || name === 'no-cache') return 0;
    if (name === 'max-age' && argument !== undefined && /^\d{1,10}$/.test(argument.replace(/^"|"$/g, ''))) maxAge = Number(argument.replace(/^"|"$/g, ''));
  }
  return maxAge;
}
