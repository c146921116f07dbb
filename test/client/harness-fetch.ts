import type { Harness } from '../helpers/harness.js';

export interface CountingFetch {
  fetch: (url: string, init: RequestInit) => Promise<Response>;
  /** Every URL the client asked to fetch, in order (the public-origin URL it signed). */
  calls: string[];
}

/**
 * A transport for createSignedFetch in tests: the client signs for the harness's public origin
 * (https://api.example.test) and this sends the same request to the socket the harness listens on.
 */
export function harnessFetch(h: Harness): CountingFetch {
  const calls: string[] = [];
  return {
    calls,
    fetch: (url, init) => {
      calls.push(url);
      if (!url.startsWith(h.origin + '/')) throw new Error(`test transport: ${url} is not under ${h.origin}`);
      return fetch(h.baseUrl + url.slice(h.origin.length), init);
    },
  };
}
