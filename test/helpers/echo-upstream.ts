import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Debian's python3 (the one the other interop tests use); the echo server needs only its standard library. */
export const PYTHON = '/usr/bin/python3';
export const hasPython = existsSync(PYTHON);

export interface EchoUpstream {
  url: string;
  port: number;
  /** How many requests reached it (GET /__count is not counted). */
  count(): Promise<number>;
  close(): Promise<void>;
}

export interface Echoed {
  method: string;
  path: string;
  headers: Record<string, string>;
  body_b64: string;
}

/** Starts test/gateway/echo_upstream.py on a free loopback port. */
export async function startEchoUpstream(): Promise<EchoUpstream> {
  const script = fileURLToPath(new URL('../gateway/echo_upstream.py', import.meta.url));
  const child: ChildProcess = spawn(PYTHON, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim().split('\n')[0])));
    child.once('exit', (code) => reject(new Error(`the echo upstream exited (${code})`)));
  });
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    port,
    count: async () => ((await (await fetch(url + '/__count')).json()) as { count: number }).count,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** Runs `send` and says how many requests reached the upstream meanwhile. */
export async function reachedUpstream(upstream: EchoUpstream, send: () => Promise<unknown>): Promise<number> {
  const before = await upstream.count();
  await send();
  return (await upstream.count()) - before;
}
