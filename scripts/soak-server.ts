/**
 * The server side of `npm run soak`: a real `startServer` on a temporary SQLite file, in its own
 * process so its RSS is its own. Registers the admin key it is given (as `signet admin init`
 * does), then talks to scripts/soak.ts over IPC: sends {ready, port, adminKid}; answers 'sample'
 * with memory and replay-store figures; closes cleanly on 'stop'.
 */
import { randomBytes } from 'node:crypto';
import { systemClock } from '../src/clock.js';
import { loadConfig } from '../src/config.js';
import { decodeBase64url } from '../src/protocol/base64url.js';
import { newConsumerId, newKeyId } from '../src/protocol/ids.js';
import { jwkThumbprint } from '../src/protocol/public-key.js';
import { startServer } from '../src/server/start.js';
import { openSqlite } from '../src/store/factory.js';
import { KnexCredentialStore } from '../src/store/knex-credential-store.js';
import { migrateToLatest } from '../src/store/migrations.js';

export interface SoakSample {
  type: 'sample';
  rssBytes: number;
  heapUsedBytes: number;
  externalBytes: number;
  replayEntries: number;
}

const [dbFile, adminPublicKey, publicOrigin] = process.argv.slice(2) as [string, string, string];

const config = loadConfig(
  {
    db: dbFile,
    port: 0,
    host: '127.0.0.1',
    publicOrigin,
    logLevel: 'silent',
    // The soak client sends each traffic class from its own X-Forwarded-For addresses, so the
    // per-address failure gate sees attackers apart from honest clients, as behind a proxy.
    trustProxy: true,
    masterKey: randomBytes(32).toString('base64url'),
  },
  {},
);

const knex = openSqlite(config.db);
let adminKid: string;
try {
  await migrateToLatest(knex);
  const publicKey = decodeBase64url(adminPublicKey);
  const created = await new KnexCredentialStore(knex).createConsumerWithKey(
    { id: newConsumerId(), name: 'soak-admin' },
    { id: newKeyId(), consumerId: '', type: 'ed25519', publicKey, thumbprint: await jwkThumbprint(publicKey), scopes: ['admin', 'keys'] },
    systemClock.now(),
  );
  adminKid = created.key.id;
} finally {
  await knex.destroy();
}

const running = await startServer(config);
process.send!({ type: 'ready', port: running.port, adminKid });

process.on('message', async (message: { type: string }) => {
  if (message.type === 'sample') {
    const memory = process.memoryUsage();
    const sample: SoakSample = {
      type: 'sample',
      rssBytes: memory.rss,
      heapUsedBytes: memory.heapUsed,
      externalBytes: memory.external,
      replayEntries: running.signet.server.stores.replay.size(),
    };
    process.send!(sample);
  } else if (message.type === 'stop') {
    await running.close();
    process.exit(0);
  }
});
