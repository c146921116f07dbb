import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { cliScript } from '../helpers/cli-process.js';

// Asynchronous throughout: the server under test runs in the test's own process, so a synchronous
// child would starve it.
const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLIENT_KIT = join(ROOT, 'src/client/node.ts');

/** A child's environment: PATH only, plus what the snippet needs. */
const childEnv = (extra: Record<string, string> = {}) => ({ PATH: process.env.PATH ?? '/usr/bin:/bin', ...extra });

/**
 * Runs the portal's Node snippet as written, in `cwd` (where its key file is): its
 * `import ... from 'signet-auth/client'` is pointed at the client kit's source, which is what the
 * published `signet-auth/client` is built from.
 */
export async function runNodeSnippet(snippet: string, cwd: string): Promise<string> {
  // Under node_modules/.cache so the bundle's package imports resolve as the source's do.
  const cache = join(ROOT, 'node_modules/.cache');
  mkdirSync(cache, { recursive: true });
  const dir = mkdtempSync(join(cache, 'signet-snippet-'));
  try {
    writeFileSync(join(dir, 'snippet.mjs'), snippet);
    const outfile = join(dir, 'snippet.bundle.mjs');
    await build({
      entryPoints: [join(dir, 'snippet.mjs')],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      alias: { 'signet-auth/client': CLIENT_KIT },
      logLevel: 'error',
    });
    return (await run(process.execPath, [outfile], { cwd, env: childEnv(), encoding: 'utf8', timeout: 20_000 })).stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs the portal's shell snippet with bash in `cwd`, `signet` being this repository's CLI and its profiles in `configFile`. */
export async function runShellSnippet(snippet: string, cwd: string, configFile: string): Promise<string> {
  const script = `set -euo pipefail\nsignet() { "${process.execPath}" "${await cliScript()}" "$@"; }\n${snippet}`;
  return (await run('bash', ['-c', script], { cwd, env: childEnv({ SIGNET_CONFIG: configFile }), encoding: 'utf8', timeout: 30_000 })).stdout;
}

/** The Python client kit's source on the path: what `pip install ./clients/python` installs. */
const PYTHON_KIT_PATH = join(ROOT, 'clients/python/src');

export async function runPythonSnippet(python: string, snippet: string, cwd: string): Promise<string> {
  writeFileSync(join(cwd, 'snippet.py'), snippet);
  return (await run(python, ['snippet.py'], { cwd, env: childEnv({ PYTHONPATH: PYTHON_KIT_PATH }), encoding: 'utf8', timeout: 20_000 })).stdout;
}

/** Whether `command args` runs at all (an interpreter with the modules a snippet needs). */
export async function available(command: string, args: string[]): Promise<boolean> {
  try {
    await run(command, args, { env: childEnv() });
    return true;
  } catch {
    return false;
  }
}
