/**
 * One server of the gateway benchmark in its own process (bench/gateway.ts starts it):
 *   upstream      a minimal node:http API answering {"ok":true}
 *   plain-proxy   an undici pool forwarding every request to UPSTREAM, nothing else (the baseline)
 *   gateway       `signet gateway` to UPSTREAM (every path signed), with one Ed25519 consumer
 *   serve         Signet serving GET /v1/whoami itself, with one Ed25519 consumer
 * Prints one JSON line: {port, kid, jwk} (kid and the private JWK only where there is a consumer).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import { generateKeyPair } from '../src/client/keys.js';
import { loadConfig } from '../src/config.js';
import { startGateway } from '../src/gateway/start.js';
import { newConsumerId, newKeyId } from '../src/protocol/ids.js';
import { jwkThumbprint } from '../src/protocol/public-key.js';
import { silentLogger } from '../src/server/logger.js';
import { startServer } from '../src/server/start.js';
import type { Stores } from '../src/store/factory.js';

const [variant, upstream] = process.argv.slice(2) as [string, string | undefined];
const BENCH_ORIGIN = 'http://bench.signet.test';

async function addConsumer(stores: Stores) {
  const pair = await generateKeyPair();
  const kid = newKeyId();
  await stores.credentials.createConsumerWithKey(
    { id: newConsumerId(), name: 'bench' },
    { id: kid, consumerId: '', type: 'ed25519', publicKey: pair.publicKey, thumbprint: await jwkThumbprint(pair.publicKey) },
    Date.now(),
  );
  return { kid, jwk: await globalThis.crypto.subtle.exportKey('jwk', pair.privateKey) };
}

const base = {
  db: join(mkdtempSync(join(tmpdir(), 'signet-bench-gw-')), 'db.sqlite'),
  publicOrigin: BENCH_ORIGIN,
  logLevel: 'silent' as const,
  usageEnabled: true,
  metricsEnabled: false,
  authFailureLimit: 0,
  port: 0,
};

if (variant === 'upstream' || variant === 'plain-proxy') {
  const pool = variant === 'plain-proxy' ? new Pool(upstream!) : undefined;
  const server = createServer((req, res) => {
    if (pool === undefined) {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '11' }).end('{"ok":true}');
      return;
    }
    pool.request({ path: req.url!, method: req.method as 'GET', headers: { 'x-forwarded-for': req.socket.remoteAddress ?? '' } }).then(
      async (answer) => {
        res.writeHead(answer.statusCode, answer.headers as Record<string, string>);
        for await (const chunk of answer.body) res.write(chunk);
        res.end();
      },
      () => res.writeHead(502).end(),
    );
  });
  server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: (server.address() as AddressInfo).port })));
} else if (variant === 'gateway') {
  const running = await startGateway(loadConfig({ ...base, gatewayPort: 0, gatewayUpstream: upstream }, {}), { logger: silentLogger() });
  const consumer = await addConsumer(running.signet.stores);
  console.log(JSON.stringify({ port: Number(new URL(running.url).port), ...consumer }));
} else if (variant === 'serve') {
  const running = await startServer(loadConfig(base, {}), { logger: silentLogger() });
  const consumer = await addConsumer(running.signet.server.stores);
  console.log(JSON.stringify({ port: running.port, ...consumer }));
} else {
  throw new Error(`unknown variant ${variant}`);
}
