import { execFile as execFileCallback, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair } from '../../src/client/keys.js';
import { saveKeyPair } from '../../src/client/key-file.js';
import { importPrivateKey } from '../../src/client/keys.js';
import { newConsumerId } from '../../src/protocol/ids.js';
import { jwkThumbprint } from '../../src/protocol/public-key.js';
import { cliScript, disposeCli } from '../helpers/cli-process.js';
import { startHarness, T0 } from '../helpers/harness.js';
import { startLiveServer, type LiveServer } from '../helpers/live-server.js';
import { missingCommand, suiteRuns } from '../helpers/optional-suites.js';

const doc = readFileSync(new URL('../../docs/client.md', import.meta.url), 'utf8');
const CLIENT_NODE = fileURLToPath(new URL('../../src/client/node.ts', import.meta.url));
const DOC_KID = 'key_7Qx3mJtZ1pUe9LcWbR4sNa';

/**
 * Child processes must run asynchronously: the server they call lives in this process, and a
 * synchronous spawn would block the event loop it answers on.
 */
const execFileAsync = promisify(execFileCallback);
async function run(file: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<string> {
  const { stdout } = await execFileAsync(file, args, { ...options, encoding: 'utf8', timeout: 60_000 });
  return stdout;
}

/** The fenced blocks of one language under a heading, in order. */
function blocks(heading: string, lang: string): string[] {
  const start = doc.indexOf(heading);
  if (start < 0) throw new Error(`docs/client.md has no heading "${heading}"`);
  const next = doc.slice(start + heading.length).search(/\n#{2,3} /);
  const section = next < 0 ? doc.slice(start) : doc.slice(start, start + heading.length + next);
  return [...section.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]!);
}

/** The worked example of docs/protocol.md: its private key and its token, from which every input follows. */
function workedExample() {
  const protocolDoc = new URL('../../docs/protocol.md', import.meta.url);
  if (!existsSync(protocolDoc)) return undefined;
  const text = readFileSync(protocolDoc, 'utf8');
  const pem = /-----BEGIN PRIVATE KEY-----[\s\S]*?-----END PRIVATE KEY-----\n/.exec(text)?.[0];
  const token = /^eyJ[\w-]+\.[\w-]+\.[\w-]+$/m.exec(text)?.[0];
  if (pem === undefined || token === undefined) return undefined;
  const [header, claims] = token
    .split('.')
    .slice(0, 2)
    .map((s) => JSON.parse(Buffer.from(s, 'base64url').toString()) as Record<string, unknown>);
  return { pem, token, header: header!, claims: claims! as { method: string; url: string; aud: string; iat: number; jti: string } };
}

const example = workedExample();
const hasExample = suiteRuns('the recipe checks against the worked example', example === undefined ? 'docs/protocol.md or its example is missing' : undefined);
const python = ['python3', '/usr/bin/python3'].find((bin) => spawnSync(bin, ['-c', 'import jwt, cryptography']).status === 0);
const hasPython = suiteRuns('the Python recipe', python === undefined ? 'no python3 with PyJWT and cryptography (apt-get install python3-jwt python3-cryptography)' : undefined);
const GO_JWT = '/usr/share/gocode/src/github.com/golang-jwt/jwt';
const hasGo = suiteRuns(
  'the Go recipe',
  spawnSync('go', ['version']).status === 0 && existsSync(GO_JWT) ? undefined : 'needs go and golang-jwt (apt-get install golang-go golang-github-golang-jwt-jwt-dev)',
);
const hasShellTools = suiteRuns('the curl + openssl recipe', missingCommand(['openssl', 'curl', 'bash'], 'apt-get install openssl curl bash'));
const EXAMPLE_BODY = '{"hello":"world"}';

describe('docs/client.md', () => {
  let server: LiveServer;
  let dir: string;
  let keyFile: string;
  let kid: string;

  beforeAll(async () => {
    server = await startLiveServer();
    dir = mkdtempSync(join(tmpdir(), 'signet-doc-'));
    keyFile = join(dir, 'signet-key.pem');
    const pair = await generateKeyPair();
    await saveKeyPair(pair, keyFile);
    kid = await server.register(pair.publicKey, 'doc-reader');
  });
  afterAll(async () => {
    disposeCli();
    await server.close();
  });

  /** The docs' placeholders (a local server, the example kid and key file) replaced by this test's. */
  const localise = (code: string) => code.replaceAll('http://localhost:3000', server.url).replaceAll(DOC_KID, kid).replaceAll('signet-key.pem', keyFile);

  it('the library quick start runs as written and makes a successful signed call', async () => {
    const [example] = blocks('## Quick start: the library', 'js');
    const script = join(dir, 'quick-start.mts');
    writeFileSync(script, localise(example!).replace("from 'signet-auth/client'", `from ${JSON.stringify(CLIENT_NODE)}`));
    // Run from the repository, where the tsx loader resolves; every path in the script is absolute.
    const output = await run(process.execPath, ['--import', 'tsx', script], { cwd: fileURLToPath(new URL('../../', import.meta.url)) });
    expect(output).toMatch(/^200 \{/);
    expect(output).toContain(`body: '{"hello":"world"}'`);
  });

  it('the command-line quick start runs as written, from keygen to a successful call', async () => {
    const [steps] = blocks('## Quick start: the command line', 'sh');
    const cli = await cliScript();
    const userDir = mkdtempSync(join(tmpdir(), 'signet-doc-cli-'));
    // The kid is printed by step 2; the script picks it up instead of the example's.
    const script = steps!
      .replace('signet consumers add my-app --public-key signet-key.pem.pub', 'KID=$(signet consumers add my-app --public-key signet-key.pem.pub --json | sed -E \'s/.*"key_id":"([^"]+)".*/\\1/\')')
      .replaceAll(DOC_KID, '"$KID"')
      .replaceAll('http://localhost:3000', server.url);
    const result = await execFileAsync('bash', ['-euc', `signet() { ${JSON.stringify(process.execPath)} ${JSON.stringify(cli)} "$@"; }\n${script}`], {
      cwd: userDir,
      encoding: 'utf8',
      timeout: 60_000,
      env: { PATH: process.env.PATH ?? '', HOME: userDir, SIGNET_DB: server.config.db },
    });
    expect(result.stderr).toContain('HTTP 200');
    expect(result.stdout).toContain('"consumer_name": "my-app"');
    expect(result.stdout).toContain('"body": "{\\"hello\\":\\"world\\"}"');
  });

  describe.skipIf(!hasPython || !hasExample)('the Python (PyJWT) recipe', () => {
    it('reproduces the worked example token byte for byte', async () => {
      const [fn] = blocks('### Python (PyJWT)', 'python');
      writeFileSync(join(dir, 'signet_recipe.py'), fn!);
      const { claims, header, pem } = example!;
      const driver = `
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from signet_recipe import signet_authorization
key = load_pem_private_key(${JSON.stringify(pem)}.encode(), password=None)
print(signet_authorization(key, ${JSON.stringify(header.kid)}, ${JSON.stringify(claims.method)}, ${JSON.stringify(claims.url)}, ${JSON.stringify(EXAMPLE_BODY)}.encode(), now=${claims.iat}, jti=${JSON.stringify(claims.jti)}))`;
      const output = await run(python!, ['-c', driver], { cwd: dir });
      expect(output.trim()).toBe(`Signet ${example!.token}`);
    });

    it('makes a call the server accepts when used as shown', async () => {
      const [fn, usage] = blocks('### Python (PyJWT)', 'python');
      const output = await run(python!, ['-c', `${fn}\n${localise(usage!)}`], { cwd: dir });
      expect(JSON.parse(output)).toMatchObject({ body: '{"hello":"world"}' });
    });
  });

  describe.skipIf(!hasShellTools || !hasExample)('the curl + openssl recipe', () => {
    it('reproduces the worked example token byte for byte', async () => {
      const [fn] = blocks('### curl + openssl', 'sh');
      const { claims, header, pem } = example!;
      writeFileSync(join(dir, 'example.pem'), pem);
      const output = await run('bash', ['-c', `${fn}\nsignet_auth ${claims.method} '${claims.url}' '${EXAMPLE_BODY}'`], {
        cwd: dir,
        env: { PATH: process.env.PATH ?? '', KEY: 'example.pem', KID: String(header.kid), NOW: String(claims.iat), JTI: claims.jti },
      });
      expect(output.trim()).toBe(`Signet ${example!.token}`);
    });

    it('makes a call the server accepts when used as shown', async () => {
      const [fn, usage] = blocks('### curl + openssl', 'sh');
      const output = await run('bash', ['-c', `${fn}\n${localise(usage!).replace('curl -X', 'curl -s -X')}`], { cwd: dir });
      expect(JSON.parse(output)).toMatchObject({ body: '{"hello":"world"}' });
    });
  });

  describe.skipIf(!hasGo || !hasExample)('the Go (golang-jwt) recipe', () => {
    it('signs the worked example claims, and the server accepts the token', async () => {
      const [fn] = blocks('### Go (golang-jwt)', 'go');
      const { claims, header, pem } = example!;
      const goDir = join(dir, 'go');
      mkdirSync(goDir);
      writeFileSync(join(goDir, 'signet.go'), fn!);
      writeFileSync(join(goDir, 'go.mod'), `module signetrecipe\n\ngo 1.19\n\nrequire github.com/golang-jwt/jwt/v4 v4.4.3\n\nreplace github.com/golang-jwt/jwt/v4 => ${GO_JWT}\n`);
      writeFileSync(
        join(goDir, 'main.go'),
        `package main

import (
	"crypto/ed25519"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v4"
)

func main() {
	key, err := jwt.ParseEdPrivateKeyFromPEM([]byte(${JSON.stringify(pem)}))
	if err != nil {
		panic(err)
	}
	_ = newJTI
	auth, err := signetAuthorization(key.(ed25519.PrivateKey), ${JSON.stringify(header.kid)}, ${JSON.stringify(claims.method.toLowerCase())}, ${JSON.stringify(claims.url)}, []byte(${JSON.stringify(EXAMPLE_BODY)}), time.Unix(${claims.iat}, 0), ${JSON.stringify(claims.jti)})
	if err != nil {
		panic(err)
	}
	fmt.Println(auth)
}
`,
      );
      const output = await run('go', ['run', '.'], {
        cwd: goDir,
        env: { ...process.env, GOFLAGS: '-mod=mod', GOPROXY: 'off', GOSUMDB: 'off', GOCACHE: join(tmpdir(), 'signet-go-cache'), GOPATH: join(dir, 'gopath') },
      });
      const token = output.trim().replace(/^Signet /, '');
      const [goHeader, goClaims] = token
        .split('.')
        .slice(0, 2)
        .map((s) => JSON.parse(Buffer.from(s, 'base64url').toString()) as unknown);
      expect(goHeader).toEqual(example!.header);
      expect(goClaims).toEqual(example!.claims);

      // The worked example's request, at its time, on a server whose public origin is the example's.
      const h = await startHarness({ publicOrigin: claims.aud });
      try {
        const pair = await importPrivateKey(pem);
        await h.stores.credentials.createConsumerWithKey(
          { id: newConsumerId(), name: 'go' },
          { id: String(header.kid), consumerId: '', type: 'ed25519', publicKey: pair.publicKey, thumbprint: await jwkThumbprint(pair.publicKey) },
          T0,
        );
        h.clock.set(claims.iat * 1000);
        const target = new URL(claims.url);
        const response = await fetch(h.baseUrl + target.pathname + target.search, { method: 'POST', headers: { Authorization: `Signet ${token}` }, body: EXAMPLE_BODY });
        expect(response.status).toBe(200);
      } finally {
        await h.close();
      }
    });
  });
});
