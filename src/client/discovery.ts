import { SignetError } from '../protocol/errors.js';
import { DISCOVERY_PATH, parseDiscoveryDocument } from '../protocol/discovery.js';

/** What a client takes from GET /.well-known/signet. */
export interface DiscoveredSettings {
  audience: string;
  maxTokenLifetimeSeconds: number;
  /** Milliseconds to add to the local clock to match the server's. */
  clockOffsetMs: number;
}

/**
 * Reads the server's discovery document at `origin` and derives the audience, the longest token
 * lifetime and the clock offset. The offset aims at the middle of the whole second the server
 * reported, plus the Age a cache in between declares, so a briefly cached answer is still right.
 * Uses only fetch, so it runs in browsers too.
 */
export async function discoverServer(origin: string, send: (url: string, init: RequestInit) => Promise<Response>, now: () => number): Promise<DiscoveredSettings> {
  const url = new URL(DISCOVERY_PATH, origin).href;
  let response: Response;
  try {
    response = await send(url, { method: 'GET', headers: { accept: 'application/json' } });
  } catch (error) {
    throw new SignetError('service_unavailable', { detail: `Cannot read ${url} to configure the client: ${(error as Error).message}.`, cause: error });
  }
  const document = response.ok ? parseDiscoveryDocument(await response.json().catch(() => undefined)) : undefined;
  if (document === undefined) {
    throw new SignetError('service_unavailable', { detail: `${url} answered ${response.status} without a Signet discovery document; is this a Signet server? (or leave discover off)` });
  }
  const age = Number(response.headers.get('age') ?? '0');
  const serverMs = (document.server_time + (Number.isFinite(age) && age > 0 ? age : 0)) * 1000 + 500;
  return { audience: document.audience, maxTokenLifetimeSeconds: document.max_token_lifetime_seconds, clockOffsetMs: serverMs - now() };
}
