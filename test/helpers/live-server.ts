import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '../../src/clock.js';
import { loadConfig, type Config } from '../../src/config.js';
import { newConsumerId, newKeyId } from '../../src/protocol/ids.js';
import { jwkThumbprint } from '../../src/protocol/public-key.js';
import { createApp } from '../../src/server/app.js';
import { answerClientErrors } from '../../src/server/client-errors.js';
import { silentLogger } from '../../src/server/logger.js';
import { createStores, type Stores } from '../../src/store/factory.js';

/** The real clock plus an offset a test may move (the server "runs fast" or "slow"). */
class OffsetClock implements Clock {
  offsetMs = 0;
  now(): number {
    return Date.now() + this.offsetMs;
  }
}

export interface LiveServer {
  /** http://127.0.0.1:PORT: where it listens, and also its public origin. */
  url: string;
  config: Readonly<Config>;
  clock: OffsetClock;
  stores: Stores;
  register(publicKey: Uint8Array, name?: string): Promise<string>;
  close(): Promise<void>;
}

/**
 * The real app on a temporary SQLite file for subprocess tests, whose public origin is the
 * address it really listens on (so a client process signs exactly the URL it calls). The socket
 * is bound first and the app attached after, so the origin is known without racing for a port.
 */
export async function startLiveServer(overrides: Partial<Config> = {}): Promise<LiveServer> {
  const http: Server = createServer();
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const dir = mkdtempSync(join(tmpdir(), 'signet-live-'));
  const config = loadConfig({ db: join(dir, 'signet.sqlite'), port: 0, publicOrigin: url, logLevel: 'silent', ...overrides }, {});
  const clock = new OffsetClock();
  const stores = await createStores(config, clock);
  const signet = createApp({ config, stores, clock, logger: silentLogger() });
  http.on('request', signet.app.callback());
  answerClientErrors(http, clock);
  return {
    url,
    config,
    clock,
    stores,
    async register(publicKey, name = 'cli-user') {
      const kid = newKeyId();
      await stores.credentials.createConsumerWithKey({ id: newConsumerId(), name }, { id: kid, consumerId: '', type: 'ed25519', publicKey, thumbprint: await jwkThumbprint(publicKey) }, clock.now());
      return kid;
    },
    async close() {
      await new Promise<void>((resolve) => http.close(() => resolve()));
      http.closeAllConnections();
      await signet.close();
      await stores.close();
    },
  };
}
