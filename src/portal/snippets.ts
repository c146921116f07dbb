import { keyFileName } from './new-key.js';

export interface SnippetInput {
  /** The API's public origin: what every token is signed for. */
  origin: string;
  audience: string;
  kid: string;
  /** Profile name for the CLI. */
  profile: string;
}

/** A CLI profile name (1 to 64 of A-Z a-z 0-9 . _ -) from a consumer name. */
export function profileName(consumerName: string): string {
  const slug = consumerName
    .replace(/[^A-Za-z0-9_.-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64);
  return slug === '' ? 'signet' : slug;
}

/** Quotes for a POSIX shell. */
function sh(value: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Where the snippets' readers find how to install the CLI and the kits (in the Signet repository). */
const INSTALL_DOCS = { cli: 'README.md, "Quick start", and docs/client.md', kits: 'docs/clients.md, "Install"' } as const;

/**
 * A shell script that stops at the first failure: without the CLI, or when signing fails, it says
 * so on stderr and exits non-zero instead of sending the request unsigned. (`set -e` does not see a
 * failure inside `curl -H "$(...)"`, so each header is signed into a variable first.)
 */
export function curlSnippet({ origin, kid, profile }: SnippetInput): string {
  const file = keyFileName(kid);
  const p = sh(profile);
  return `#!/bin/sh
set -eu
# Needs the signet CLI on PATH: in a checkout of the Signet repository, npm install && npm link
# (${INSTALL_DOCS.cli}).
command -v signet >/dev/null || { echo "signet CLI not found: install it (npm install && npm link in the Signet repository) and run this again" >&2; exit 1; }

# Once: protect the downloaded key file (the CLI refuses one others can read) and save a profile.
chmod 600 ${file}
signet profile add ${p} --server ${sh(origin)} --kid ${kid} --key ${file}

# Each request: signet sign prints the Authorization header for exactly this method, URL and body.
AUTH=$(signet sign GET ${origin}/v1/whoami --profile ${p})
curl -sS --fail-with-body -H "$AUTH" ${origin}/v1/whoami
echo

BODY='{"hello":"world"}'
AUTH=$(signet sign POST ${origin}/v1/echo --profile ${p} -d "$BODY")
curl -sS --fail-with-body -H "$AUTH" -H 'Content-Type: application/json' --data-binary "$BODY" ${origin}/v1/echo
echo
`;
}

export function nodeSnippet({ origin, audience, kid }: SnippetInput): string {
  const audienceOption = audience === origin ? '' : `, audience: '${audience}'`;
  return `// Node 20+, with the Signet client kit: import from 'signet-auth/client'. Install it from a checkout of
// the Signet repository: npm install PATH/TO/signet (${INSTALL_DOCS.cli}).
import { createSignedFetch, loadPrivateKeyFile } from 'signet-auth/client';

const key = await loadPrivateKeyFile('${keyFileName(kid)}');
const signedFetch = createSignedFetch({ baseUrl: '${origin}', key, kid: '${kid}'${audienceOption} });

const me = await signedFetch('/v1/whoami');
console.log(me.status, await me.json());

const echo = await signedFetch('/v1/echo', { method: 'POST', body: { hello: 'world' } });
console.log(echo.status, await echo.json());
`;
}

export function pythonSnippet({ origin, audience, kid }: SnippetInput): string {
  return `# Python 3.11+ with the Signet client kit, from the Signet repository:
#   pip install "./clients/python[requests]"      (docs/clients.md)
import requests
from signet_client import SignetAuth

ORIGIN = "${origin}"
AUDIENCE = "${audience}"
auth = SignetAuth(key_file="${keyFileName(kid)}", kid="${kid}", audience=AUDIENCE)

me = requests.get(ORIGIN + "/v1/whoami", auth=auth)
print(me.status_code, me.json())

echo = requests.post(ORIGIN + "/v1/echo", json={"hello": "world"}, auth=auth)
print(echo.status_code, echo.json())
`;
}

export function goSnippet({ origin, audience, kid }: SnippetInput): string {
  const audienceOption = audience === origin ? 'nil' : `signet.Options{Audience: "${audience}"}`;
  return `// Go with the Signet client kit (standard library only), from the Signet repository:
//   go mod edit -require=signet.dev/client@v0.0.0 -replace=signet.dev/client=PATH/TO/signet/clients/go
package main

import (
\t"fmt"
\t"io"
\t"net/http"
\t"strings"

\tsignet "signet.dev/client"
)

func main() {
\tkey, err := signet.LoadSigningKey("${keyFileName(kid)}", nil)
\tif err != nil {
\t\tpanic(err)
\t}
\tclient := &http.Client{Transport: signet.NewTransport(key, "${kid}", nil${audienceOption === 'nil' ? '' : ', ' + audienceOption})}

\tme, err := client.Get("${origin}/v1/whoami")
\tif err != nil {
\t\tpanic(err) // a refusal is a *signet.Error: code, status, detail, request id
\t}
\tbody, _ := io.ReadAll(me.Body)
\tfmt.Println(me.StatusCode, string(body))

\techo, err := client.Post("${origin}/v1/echo", "application/json", strings.NewReader(\`{"hello":"world"}\`))
\tif err != nil {
\t\tpanic(err)
\t}
\tbody, _ = io.ReadAll(echo.Body)
\tfmt.Println(echo.StatusCode, string(body))
}
`;
}
