/**
 * One benchmark server variant in its own process, so its CPU time and peak RSS are its own.
 * Talks to bench/run.ts over IPC: sends {ready, kid}; answers 'stats' with CPU and memory use.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { VARIANTS, type InProcessVariantName } from './variants.js';

const [variant, publicKey, dbFile] = process.argv.slice(2) as [InProcessVariantName, string, string];
const http = createServer();
await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
const port = (http.address() as AddressInfo).port;
const built = await VARIANTS[variant]({ publicKey, port, dbFile });
http.on('request', built.callback);
let cpuAtMark = process.cpuUsage();
process.send!({ type: 'ready', port, kid: built.kid, secret: built.secret });

process.on('message', async (message: { type: string }) => {
  if (message.type === 'mark') {
    cpuAtMark = process.cpuUsage();
  } else if (message.type === 'stats') {
    const cpu = process.cpuUsage(cpuAtMark);
    process.send!({ type: 'stats', cpuMicros: cpu.user + cpu.system, maxRssBytes: process.resourceUsage().maxRSS * 1024 });
  } else if (message.type === 'stop') {
    http.close();
    http.closeAllConnections();
    await built.close();
    process.exit(0);
  }
});
