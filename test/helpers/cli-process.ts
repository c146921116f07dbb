import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, expect, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { startHarness, type Harness } from './harness.js';
import { startLiveServer, type LiveServer } from './live-server.js';

const ENTRY = fileURLToPath(new URL('./cli-entry.ts', import.meta.url));
const LOAD_GENERATOR = fileURLToPath(new URL('../../src/cli/compare/load-generator.ts', import.meta.url));
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
    // The load generator of `signet compare` is a module of its own that the CLI starts as a child
    // process, found next to the CLI's module: it is bundled beside it.
    await build({
      entryPoints: { signet: ENTRY, 'load-generator': LOAD_GENERATOR },
      outdir: bundleDir,
      outExtension: { '.js': '.mjs' },
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      logLevel: 'error',
    });
    return join(bundleDir, 'signet.mjs');
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

/** What main() returned and wrote, when run in this process (it always returns a code). */
export interface InProcessResult extends CliResult {
  code: number;
}

/** Runs main() in this process with captured output: for checks that need no real process. */
export async function runInProcess(...argv: string[]): Promise<InProcessResult> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t) } });
  return { code, stdout, stderr };
}

/** The settings the CLI would otherwise take from the shell running the tests. */
const CLI_SETTINGS = ['SIGNET_PROFILE', 'SIGNET_SERVER', 'SIGNET_KID', 'SIGNET_KEY_FILE', 'SIGNET_DB', 'SIGNET_PUBLIC_ORIGIN', 'SIGNET_MASTER_KEY', 'SIGNET_MASTER_KEY_FILE'];

export interface CliHarness {
  h: Harness;
  /** A fresh temporary folder: HOME of the CLI. */
  dir: string;
  /** The server's SQLite file in `dir`, for `admin init --db`. */
  db: string;
  /** The CLI's config file (SIGNET_CONFIG), not yet written. */
  configFile: string;
}

/**
 * For a describe block: a real server (socket origin, SQLite file) for the in-process CLI, with
 * HOME and SIGNET_CONFIG in a fresh folder and the other CLI settings blanked; closed and the
 * environment restored after its tests. `use` receives them: `withCliHarness('signet-x-', (s) => ({ h, dir } = s))`.
 */
export function withCliHarness(prefix: string, use: (started: CliHarness) => void): void {
  let harness: Harness | undefined;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    const db = join(dir, 'signet.sqlite');
    const configFile = join(dir, 'config', 'config.json');
    vi.stubEnv('HOME', dir);
    vi.stubEnv('SIGNET_CONFIG', configFile);
    for (const name of CLI_SETTINGS) vi.stubEnv(name, '');
    harness = await startHarness({ db }, { socketOrigin: true });
    use({ h: harness, dir, db, configFile });
  });
  afterAll(async () => {
    await harness?.close();
    vi.unstubAllEnvs();
  });
}

/** What a command printed as JSON, once it is seen to have succeeded (else its stderr is the failure message). */
export function printedJson(result: CliResult): any {
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout);
}

/** A line of a Node stack trace: what a user must never see from the CLI, even when it fails. */
export const STACK_TRACE = /\n\s+at .+:\d+/;

export function expectNoStackTrace(result: CliResult): void {
  expect(result.stderr).not.toMatch(STACK_TRACE);
  expect(result.stdout).not.toMatch(STACK_TRACE);
}

export interface CliUser {
  server: LiveServer;
  /** A fresh temporary folder: the user's HOME. */
  dir: string;
  /** The child's environment: HOME and SIGNET_CONFIG (config.json) in `dir`. */
  env: Record<string, string>;
}

/**
 * For a describe block that runs `signet` as child processes: a live server and a user's fresh
 * HOME; after its tests the server is closed and the compiled CLI removed. `use` receives them:
 * `withCliUser('signet-x-', (s) => ({ server, dir, env } = s))`.
 */
export function withCliUser(prefix: string, use: (started: CliUser) => void): void {
  let server: LiveServer | undefined;
  beforeAll(async () => {
    server = await startLiveServer();
    const dir = mkdtempSync(join(tmpdir(), prefix));
    use({ server, dir, env: { HOME: dir, SIGNET_CONFIG: join(dir, 'config.json') } });
  });
  afterAll(async () => {
    disposeCli();
    await server?.close();
  });
}
