import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { cliScript } from './cli-process.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface ServerProcess {
  child: ChildProcess;
  /** Where it listens, from its "signet listening on" line. */
  url: string;
  stderr(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code (undefined when it had to be killed). */
  stop(graceMs?: number): Promise<number | null | undefined>;
}

/**
 * `signet serve ARGS` as a real process (the CLI compiled once by esbuild), with only `env` and
 * PATH in its environment. Resolves once it prints where it listens; rejects with its output if
 * it exits first or takes longer than `startMs`.
 */
export async function spawnServer(env: Record<string, string>, args: string[] = [], startMs = 60_000): Promise<ServerProcess> {
  const script = await cliScript();
  const child = spawn(process.execPath, [script, 'serve', '--port', '0', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', SIGNET_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start within ${startMs} ms:\n${stderr}`)), startMs);
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      const match = /signet listening on (http:\/\/[^\s]+)/.exec(stderr);
      if (match !== null) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${stderr}`));
    });
  }).catch((error: unknown) => {
    child.kill('SIGKILL');
    throw error;
  });
  return {
    child,
    url,
    stderr: () => stderr,
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const code = await Promise.race([exited, delay(graceMs, undefined)]);
      if (code === undefined) {
        child.kill('SIGKILL');
        await exited;
      }
      return code;
    },
  };
}
