import { loadConfig } from '../../config.js';
import { startForwardAuth } from '../../gateway/start.js';
import { EXIT, UsageError, type Command } from '../command.js';
import { parsePort } from '../flags.js';

export const forwardAuthCommand: Command = {
  path: ['forward-auth'],
  summary: 'Answer nginx auth_request, Traefik forwardAuth, Caddy forward_auth and Envoy ext_authz checks',
  usage: `signet forward-auth [--port P] [--admin-port P] [--host ADDR] [--db FILE] [--routes FILE] [--body refuse|digest]

Answers a proxy's "may this request pass?" with 200 and the Signet-Consumer-Id, -Consumer-Name,
-Key-Id, -Scopes and -Mode headers for the proxy to copy upstream, or with the problem
(docs/gateway.md). The original method and URI are taken from X-Forwarded-Method/-Uri (Traefik,
Caddy), X-Original-Method/-URI (nginx) or the check request itself (Envoy), and only from the
peers in SIGNET_FORWARD_AUTH_TRUSTED_PROXIES (default 127.0.0.1,::1).

  --port P          check port (SIGNET_FORWARD_AUTH_PORT, default 8081)
  --admin-port P    Signet's admin API, portal, /metrics and health (SIGNET_PORT, default 3000)
  --host ADDR       address both listen on (SIGNET_HOST, default 127.0.0.1)
  --db FILE         SQLite database file (SIGNET_DB, default ./data/signet.sqlite)
  --routes FILE     routes file, as for signet gateway (SIGNET_GATEWAY_ROUTES)
  --body MODE       refuse (default): tokens bind an empty body, requests with a body are refused;
                    digest: tokens bind the Content-Digest sha-256, which the upstream must check
                    (SIGNET_FORWARD_AUTH_BODY)`,
  options: { port: { type: 'string' }, 'admin-port': { type: 'string' }, host: { type: 'string' }, db: { type: 'string' }, routes: { type: 'string' }, body: { type: 'string' } },
  async run({ values, io }) {
    const body = values.body === undefined ? undefined : String(values.body);
    if (body !== undefined && body !== 'refuse' && body !== 'digest') throw new UsageError(`--body must be refuse or digest, not "${body}".`);
    const config = loadConfig({
      ...(body !== undefined ? { forwardAuthBody: body } : {}),
      ...(values.port !== undefined ? { forwardAuthPort: parsePort(String(values.port)) } : {}),
      ...(values['admin-port'] !== undefined ? { port: parsePort(String(values['admin-port'])) } : {}),
      ...(values.host !== undefined ? { host: String(values.host) } : {}),
      ...(values.db !== undefined ? { db: String(values.db) } : {}),
      ...(values.routes !== undefined ? { gatewayRoutesFile: String(values.routes) } : {}),
    });
    const running = await startForwardAuth(config);
    io.stderr.write(`signet forward-auth listening on ${running.url} (admin API on ${running.adminUrl}, public origin ${config.publicOrigin}, bodies: ${config.forwardAuthBody})\n`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    });
    await running.close();
    return EXIT.ok;
  },
};
