/**
 * What the server tells the page about itself, in two <meta> tags it fills in when serving
 * index.html (no inline script, so the Content-Security-Policy can forbid them all).
 */
export interface PortalSettings {
  /** The API's public origin: every token is signed for it, whatever address the page was loaded from. */
  publicOrigin: string;
  /** The audience the server expects (SIGNET_AUDIENCE, by default the public origin). */
  audience: string;
}

function meta(name: string): string | undefined {
  const value = document.querySelector<HTMLMetaElement>(`meta[name="${name}"]`)?.content;
  return value === undefined || value === '' || value.startsWith('%') ? undefined : value;
}

/** Falls back to the page's own origin when the page was opened from a plain file server. */
export function readSettings(): PortalSettings {
  const publicOrigin = meta('signet-public-origin') ?? location.origin;
  return { publicOrigin, audience: meta('signet-audience') ?? publicOrigin };
}
