import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveProfile } from '../../src/cli/profiles.js';
import { saveKeyPair } from '../../src/client/key-file.js';
import { generateKeyPair } from '../../src/client/keys.js';
import { cliScript, disposeCli } from '../helpers/cli-process.js';
import { startLiveServer, type LiveServer } from '../helpers/live-server.js';
import { DOCUMENTS, isShellBlock, parseDocument, type CodeBlock } from './markdown.js';

const execFileAsync = promisify(execFile);

/** The example key id the docs use for "the key registered earlier in this document". */
const DOC_KID = 'key_7Qx3mJtZ1pUe9LcWbR4sNa';
/** The origins the docs call their server. */
const DOC_ORIGINS = ['http://localhost:3000', 'https://api.example.com'];

/**
 * Blocks that cannot run here, each marked in its markdown with `<!-- docs-test: skip (REASON) -->`,
 * as `document: reason` in document order (not by line, so that editing a doc above a marker does
 * not break this list). Listed so that a new marker is a deliberate change to this test, not a quiet way out.
 */
const EXPECTED_SKIPS = [
  'README.md: installs and starts a server on port 3000; the docs test brings its own server',
  'README.md: installs the package into another project; test/package/pack-install.test.ts packs, installs and runs it',
  "docs/clients.md: installs packages into the machine's Python and a Go module elsewhere; test/clients runs both kits from the checkout",
  'docs/clients.md: rewrites the committed vector file; test/clients/vectors.test.ts checks it is current',
  'docs/deployment.md: production settings: a PostgreSQL, a Redis and a keyring on other hosts; test/server/scale-out.test.ts runs them',
  'docs/gateway.md: starts a gateway that runs until stopped; test/gateway/gateway.test.ts runs it in front of an upstream',
  'docs/gateway.md: starts a forward-auth server that runs until stopped; test/gateway/proxies.e2e.test.ts runs it behind nginx',
  'docs/modes.md: writes /etc/signet; test/cli/hmac-commands.test.ts runs the same rotation',
  'docs/performance.md: benchmarks run for minutes; bench/ has its own smoke run',
  'docs/performance.md: benchmarks run for minutes; bench/ has its own smoke run',
  'docs/performance.md: benchmarks run for minutes; bench/ has its own smoke run',
  'docs/performance.md: benchmarks run for minutes; bench/ has its own smoke run',
  'docs/protocol.md: the key it makes must first be registered; test/interop/openssl-curl.test.ts registers it and runs this recipe',
  'docs/rate-limits.md: needs an admin profile and a consumer; test/cli/usage-commands.test.ts runs these commands',
  'docs/rate-limits.md: needs an admin profile and a consumer; test/cli/usage-commands.test.ts runs these commands',
  'docs/rfc9421.md: needs an admin profile and a consumer; test/cli/lifecycle-commands.test.ts runs this command',
];

const shellBlocks = DOCUMENTS.map((path) => ({ path, blocks: parseDocument(path).blocks.filter(isShellBlock) })).filter((d) => d.blocks.length > 0);

/**
 * A block as a reader would run it, with this test's server standing in: the docs' origins become
 * the live server's, `signet serve &` is left out (the server runs already), the example kid is the
 * first key id printed in this document's run, and a placeholder such as `con_…` the latest id of
 * that kind printed before it (ids printed by `signet admin init` are the admin's own and not counted).
 */
function localise(block: CodeBlock, serverUrl: string): string {
  let code = block.code.replace(/^signet serve &.*$/gm, '');
  for (const origin of DOC_ORIGINS) code = code.replaceAll(origin, serverUrl);
  code = code.replaceAll(DOC_KID, '$(first_id key)');
  return code.replace(/\b(con|key|sgnt_enroll)_…/g, '$(latest_id $1)');
}

/** The shell around every block: `signet` (and `npx signet`) run the CLI and note what it printed. */
function prelude(cli: string, state: string): string {
  return `set -eo pipefail
LOG=${JSON.stringify(join(state, 'printed.log'))}
touch "$LOG"
signet() {
  if [ "$1 $2" = "admin init" ]; then ${JSON.stringify(process.execPath)} ${JSON.stringify(cli)} "$@"; return; fi
  ${JSON.stringify(process.execPath)} ${JSON.stringify(cli)} "$@" 2> >(tee -a "$LOG" >&2) | tee -a "$LOG"
}
npx() { if [ "$1" = signet ]; then shift; signet "$@"; else command npx "$@"; fi; }
latest_id() { grep -oE "\\b$1_[A-Za-z0-9]{22,}" "$LOG" | tail -1; }
first_id() { grep -oE "\\b$1_[A-Za-z0-9]{22,}" "$LOG" | head -1; }
FUNCTIONS=${JSON.stringify(join(state, 'functions.sh'))}
[ -f "$FUNCTIONS" ] && source "$FUNCTIONS"
`;
}

describe('every shell block of the docs runs, in order, against a live server in a fresh HOME', () => {
  let server: LiveServer;
  let cli: string;
  beforeAll(async () => {
    server = await startLiveServer();
    cli = await cliScript();
  });
  afterAll(async () => {
    disposeCli();
    await server?.close();
  });

  it('runs every block but those marked as unable to run, which are exactly the expected ones', () => {
    const skipped = shellBlocks.flatMap(({ blocks }) => blocks.filter((b) => b.skip !== undefined).map((b) => `${b.document}: ${b.skip}`));
    expect(skipped).toEqual(EXPECTED_SKIPS);
  });

  for (const { path, blocks } of shellBlocks) {
    const runnable = blocks.filter((block) => block.skip === undefined);
    if (runnable.length === 0) continue;
    describe(path, () => {
      let home: string;
      let state: string;
      beforeAll(async () => {
        // A user who has used signet before: one working profile, the default. Walk-throughs must work for them too.
        home = mkdtempSync(join(tmpdir(), 'signet-docs-home-'));
        state = mkdtempSync(join(tmpdir(), 'signet-docs-state-'));
        mkdirSync(join(home, '.config', 'signet', 'keys'), { recursive: true });
        const pair = await generateKeyPair();
        const keyFile = join(home, '.config', 'signet', 'keys', 'earlier.pem');
        await saveKeyPair(pair, keyFile);
        await saveProfile(join(home, '.config', 'signet', 'config.json'), 'earlier', { server: server.url, kid: await server.register(pair.publicKey, 'earlier'), key_file: keyFile });
      });

      for (const block of runnable) {
        it(`${path}:${block.line} runs as written`, async () => {
          const script = `${prelude(cli, state)}\n${localise(block, server.url)}\ndeclare -f > "$FUNCTIONS"\n`;
          const run = execFileAsync('bash', ['-c', script], {
            cwd: home,
            encoding: 'utf8',
            timeout: 120_000,
            env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, SIGNET_DB: server.config.db, SIGNET_PUBLIC_ORIGIN: server.url, SIGNET_LOG_LEVEL: 'silent' },
          });
          await expect(
            run.catch((error: { stderr?: string; stdout?: string; code?: number }) => Promise.reject(new Error(`exit ${error.code}\n--- stdout\n${error.stdout}\n--- stderr\n${error.stderr}`))),
          ).resolves.toBeDefined();
        }, 180_000);
      }
    });
  }
});
