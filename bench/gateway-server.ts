/**
 * One server of the gateway benchmark in its own process (bench/gateway.ts starts it):
 *   upstream      a minimal node:http API answering {"ok":true}
 *   plain-proxy   an undici pool forwarding every request to UPSTREAM, nothing else (the baseline)
 *   gateway       `signet gateway` to UPSTREAM (every path signed)
 *   forward-auth  `signet forward-auth` (every path signed), for nginx auth_request in front of UPSTREAM
 *   serve         Signet serving GET /v1/whoami itself
 * The three Signet variants get the same consumer: the Ed25519 public key and key id given (so one
 * set of signed requests is valid at each) and an HMAC key of their own.
 * Argument: the variant, then a JSON object {upstream?, publicKey?, kid?}.
 * Prints one JSON line: {port, hmacKid?, secret?}.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import { loadConfig } from '../src/config.js';
import { startForwardAuth, startGateway } from '../src/gateway/start.js';
import { decodeBase64url } from '../src/protocol/base64url.js';
import { newConsumerId } from '../src/protocol/ids.js';
import { jwkThumbprint } from '../src/protocol/public-key.js';
import type { ServerContext } from '../src/server/context.js';
import { silentLogger } from '../src/server/logger.js';
import { startServer } from '../src/server/start.js';
import type { Stores } from '../src/store/factory.js';

const BENCH_ORIGIN = 'http://bench.signet.test';

const [variant, json] = process.argv.slice(2) as [string, string | undefined];
const args = JSON.parse(json ?? '{}') as { upstream?: string; publicKey?: string; kid?: string; verifyOnThreadPool?: boolean | 'when-busy' };

/** The Ed25519 key given, and an HMAC key whose secret the bench client signs with (bench only; never print a secret otherwise). */
async function addConsumer(stores: Stores, server: ServerContext): Promise<{ hmacKid: string; secret: string }> {
  const publicKey = decodeBase64url(args.publicKey!);
  const created = await stores.credentials.createConsumerWithKey(
    { id: newConsumerId(), name: 'bench', allowedModes: ['ed25519', 'hmac'] },
    { id: args.kid!, consumerId: '', type: 'ed25519', publicKey, thumbprint: await jwkThumbprint(publicKey) },
    Date.now(),
  );
  const issued = await server.hmacKeys.issue(created.consumer, { label: 'bench', scopes: [], notBefore: null, expiresAt: null }, Date.now(), {
    actor: 'local-operator',
    requestId: null,
    sourceIp: null,
  });
  return { hmacKid: issued.key.id, secret: issued.secret };
}

const base = {
  db: join(mkdtempSync(join(tmpdir(), 'signet-bench-gw-')), 'db.sqlite'),
  publicOrigin: BENCH_ORIGIN,
  logLevel: 'silent' as const,
  usageEnabled: true,
  metricsEnabled: false,
  authFailureLimit: 0,
  maxTokenLifetimeSeconds: 300,
  port: 0,
  ...(args.verifyOnThreadPool !== undefined ? { verifyOnThreadPool: args.verifyOnThreadPool } : {}),
};

if (variant === 'upstream' || variant === 'plain-proxy') {
  const pool = variant === 'plain-proxy' ? new Pool(args.upstream!) : undefined;
  const server = createServer((req, res) => {
    if (pool === undefined) {
      req.resume();
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
  const running = await startGateway(loadConfig({ ...base, gatewayPort: 0, gatewayUpstream: args.upstream }, {}), { logger: silentLogger() });
  const consumer = await addConsumer(running.signet.stores, running.signet.server);
  console.log(JSON.stringify({ port: Number(new URL(running.url).port), ...consumer }));
} else if (variant === 'forward-auth') {
  const running = await startForwardAuth(loadConfig({ ...base, forwardAuthPort: 0 }, {}), { logger: silentLogger() });
  const consumer = await addConsumer(running.signet.stores, running.signet.server);
  console.log(JSON.stringify({ port: Number(new URL(running.url).port), ...consumer }));
} else if (variant === 'serve') {
  const running = await startServer(loadConfig(base, {}), { logger: silentLogger() });
  const consumer = await addConsumer(running.signet.server.stores, running.signet.server);
  console.log(JSON.stringify({ port: running.port, ...consumer }));
} else {
  throw new Error(`unknown variant ${variant}`);
}

// A normal exit on SIGTERM, so that --cpu-prof writes its profile.
process.once('SIGTERM', () => process.exit(0));
