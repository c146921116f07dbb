import { loadConfig } from '../../config.js';
import { startGateway } from '../../gateway/start.js';
import { EXIT, type Command } from '../command.js';
import { parsePort } from '../flags.js';

function untilSignalled(): Promise<void> {
  return new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}

export const gatewayCommand: Command = {
  path: ['gateway'],
  summary: 'Verify every request, then proxy it to an API in any language',
  usage: `signet gateway --upstream URL [--port P] [--admin-port P] [--host ADDR] [--db FILE] [--routes FILE]

A reverse proxy in front of an API Signet did not build (docs/gateway.md): it verifies each
request's signature, scopes and rate limits, records usage, removes any incoming Signet-* header,
adds Signet-Consumer-Id, -Consumer-Name, -Key-Id, -Scopes and -Mode, and forwards the request
unchanged (Authorization removed unless the route says forward-authorization).

  --upstream URL    the API to protect (SIGNET_GATEWAY_UPSTREAM), e.g. http://127.0.0.1:5000
  --port P          proxy port (SIGNET_GATEWAY_PORT, default 8080)
  --admin-port P    Signet's admin API, portal, /metrics and health (SIGNET_PORT, default 3000)
  --host ADDR       address both listen on (SIGNET_HOST, default 127.0.0.1)
  --db FILE         SQLite database file (SIGNET_DB, default ./data/signet.sqlite)
  --routes FILE     routes file: METHOD PATH public|signed|SCOPES [forward-authorization] per line
                    (SIGNET_GATEWAY_ROUTES; without one, every path needs a valid signature)`,
  options: { upstream: { type: 'string' }, port: { type: 'string' }, 'admin-port': { type: 'string' }, host: { type: 'string' }, db: { type: 'string' }, routes: { type: 'string' } },
  async run({ values, io }) {
    const config = loadConfig({
      ...(values.upstream !== undefined ? { gatewayUpstream: String(values.upstream) } : {}),
      ...(values.port !== undefined ? { gatewayPort: parsePort(String(values.port)) } : {}),
      ...(values['admin-port'] !== undefined ? { port: parsePort(String(values['admin-port'])) } : {}),
      ...(values.host !== undefined ? { host: String(values.host) } : {}),
      ...(values.db !== undefined ? { db: String(values.db) } : {}),
      ...(values.routes !== undefined ? { gatewayRoutesFile: String(values.routes) } : {}),
    });
    const running = await startGateway(config);
    io.stderr.write(`signet gateway listening on ${running.url}, forwarding to ${config.gatewayUpstream} (admin API on ${running.adminUrl}, public origin ${config.publicOrigin})\n`);
    await untilSignalled();
    await running.close();
    return EXIT.ok;
  },
};
