import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Ed25519KeyPair } from '../../src/client/keys.js';
import { publicKeyToJwk } from '../../src/protocol/public-key.js';

/** What one path of the directory server answers: keys (with their kids), or a failure status. */
interface ServedDirectory {
  keys: Array<{ kid: string; pair: Ed25519KeyPair }>;
  status?: number;
  maxAgeSeconds?: number;
}

export interface DirectoryServer {
  /** `http://127.0.0.1:<port>` */
  base: string;
  directories: Map<string, ServedDirectory>;
  /** Fetches per path. */
  fetches: Map<string, number>;
  close(): Promise<void>;
}

/**
 * Key directories served from 127.0.0.1 over http, for tests only (the app must run with
 * SIGNET_KEY_DIRECTORY_ALLOW_PRIVATE): each path serves the JWKS of the keys set for it.
 */
export async function startDirectoryServer(): Promise<DirectoryServer> {
  const directories = new Map<string, ServedDirectory>();
  const fetches = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const path = req.url ?? '/';
    fetches.set(path, (fetches.get(path) ?? 0) + 1);
    const served = directories.get(path);
    if (served === undefined || (served.status ?? 200) !== 200) {
      res.writeHead(served?.status ?? 404);
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/jwk-set+json', 'cache-control': `max-age=${served.maxAgeSeconds ?? 600}` });
    res.end(JSON.stringify({ keys: served.keys.map(({ kid, pair }) => ({ ...publicKeyToJwk(pair.publicKey), kid })) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    directories,
    fetches,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
