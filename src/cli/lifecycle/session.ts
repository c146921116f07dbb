import { UsageError } from '../command.js';
import { clientSetup, type ClientSetup } from '../client-setup.js';
import { createApiClient, type ApiClient } from './api-client.js';

export interface Session extends ClientSetup {
  server: string;
  api: ApiClient;
}

/** The profile (or flags) resolved, its key loaded, and a client that signs with it. */
export async function signedSession(values: Record<string, unknown>): Promise<Session> {
  const setup = await clientSetup(values);
  const server = setup.profile.server;
  if (server === undefined) throw new UsageError('No server: pass --server URL or set SIGNET_SERVER, or use a profile with a server.');
  return { ...setup, server, api: createApiClient({ server, kid: setup.kid, key: setup.key }) };
}

export const segment = (id: string): string => encodeURIComponent(id);
