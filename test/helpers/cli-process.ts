import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ENTRY = fileURLToPath(new URL('./cli-entry.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

let bundled: Promise<string> | undefined;
let bundleDir: string | undefined;

/**
 * The CLI source compiled once per test file into one script (dependencies stay in
 * node_modules), so each child process starts in a fraction of the time tsx would take. It sits
 * under node_modules/.cache so its package imports resolve as the source's do.
 */
export function cliScript(): Promise<string> {
  bundled ??= (async () => {
    const cache = join(ROOT, 'node_modules/.cache');
    mkdirSync(cache, { recursive: true });
    bundleDir = mkdtempSync(join(cache, 'signet-cli-'));
    const outfile = join(bundleDir, 'signet.mjs');
    await build({ entryPoints: [ENTRY], outfile, bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', logLevel: 'error' });
    return outfile;
  })();
  return bundled;
}

/** Removes the compiled script; call from afterAll. */
export function disposeCli(): void {
  if (bundleDir !== undefined) rmSync(bundleDir, { recursive: true, force: true });
  bundled = undefined;
  bundleDir = undefined;
}

/**
 * Runs `signet ARGS` as a child process, as a user's shell would. The child sees only `env` plus
 * PATH: no SIGNET_* or NO_COLOR from the environment running the tests.
 */
export async function runCli(args: string[], env: Record<string, string> = {}, options: { cwd?: string; input?: string } = {}): Promise<CliResult> {
  const script = await cliScript();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], {
      cwd: options.cwd ?? ROOT,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    if (options.input !== undefined) child.stdin!.end(options.input);
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
