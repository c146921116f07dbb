import { loadConfig } from '../../config.js';
import { startServer } from '../../server/start.js';
import { EXIT, type Command } from '../command.js';
import { parsePort } from '../flags.js';

export const serveCommand: Command = {
  path: ['serve'],
  summary: 'Start the Signet server',
  usage: `signet serve [--port N] [--host ADDR] [--db FILE]

Starts the server on the embedded SQLite database (created on first start, migrated unless
SIGNET_MIGRATE_ON_START=false). Settings come from SIGNET_* variables; flags override them.

  --port N      port to listen on (SIGNET_PORT, default 3000; 0 picks a free port)
  --host ADDR   address to listen on (SIGNET_HOST, default 127.0.0.1)
  --db FILE     SQLite database file (SIGNET_DB, default ./data/signet.sqlite)`,
  options: { port: { type: 'string' }, host: { type: 'string' }, db: { type: 'string' } },
  async run({ values, io }) {
    const config = loadConfig({
      ...(values.port !== undefined ? { port: parsePort(String(values.port)) } : {}),
      ...(values.host !== undefined ? { host: String(values.host) } : {}),
      ...(values.db !== undefined ? { db: String(values.db) } : {}),
    });
    const running = await startServer(config);
    io.stderr.write(`signet listening on ${running.url} (public origin ${config.publicOrigin}, database ${config.db})\n`);
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await running.close();
    return EXIT.ok;
  },
};
