import { fork } from 'node:child_process';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FromGenerator, LoadRequest, ToGenerator } from './load-generator.js';

export interface LoadResult {
  elapsedMs: number;
  statuses: Record<string, number>;
  /** Milliseconds per request, in completion order. */
  latencies: number[];
  /** This process's CPU time (user + system, microseconds) between "go" and "done": the server's. */
  serverCpuMicros: number;
}

/**
 * The generator module next to this one, with this module's own extension: `.js` in dist/,
 * `.mjs` in a bundle that carries it as a second entry (test/helpers/cli-process.ts), `.ts` when
 * running from sources, where tsx compiles it in the child too.
 */
function generatorModule(): { path: string; execArgv: string[] } {
  const self = fileURLToPath(import.meta.url);
  const extension = extname(self);
  return { path: fileURLToPath(new URL(`./load-generator${extension}`, import.meta.url)), execArgv: extension === '.ts' ? ['--import', 'tsx'] : [] };
}

/** Sends the requests from a child process with `concurrency` connections, for at most `durationMs`. */
export async function runLoad(url: string, requests: LoadRequest[], concurrency: number, durationMs: number): Promise<LoadResult> {
  const generator = generatorModule();
  const child = fork(generator.path, [], { execArgv: generator.execArgv, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const tell = (message: ToGenerator) => child.send(message);
  return new Promise<LoadResult>((resolve, reject) => {
    let cpuStart: NodeJS.CpuUsage | undefined;
    child.on('error', reject);
    child.on('exit', (code) => {
      if (cpuStart === undefined || code !== 0) reject(new Error(`the load generator stopped early (exit code ${code})`));
    });
    child.on('message', (message: FromGenerator) => {
      if (message.type === 'ready') tell({ type: 'job', url, requests, concurrency, durationMs });
      else if (message.type === 'loaded') {
        cpuStart = process.cpuUsage();
        tell({ type: 'go' });
      } else {
        const cpu = process.cpuUsage(cpuStart);
        resolve({ elapsedMs: message.elapsedMs, statuses: message.statuses, latencies: message.latencies, serverCpuMicros: cpu.user + cpu.system });
      }
    });
  });
}
