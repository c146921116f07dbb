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
  const slug = consumerName.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 64);
  return slug === '' ? 'signet' : slug;
}

/** Quotes for a POSIX shell. */
function sh(value: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

export function curlSnippet({ origin, kid, profile }: SnippetInput): string {
  const file = keyFileName(kid);
  return `# Once: protect the downloaded key file (the CLI refuses one others can read) and save a profile.
chmod 600 ${file}
signet profile add ${sh(profile)} --server ${sh(origin)} --kid ${kid} --key ${file}

# Each request: signet sign prints the Authorization header for exactly this method, URL and body.
curl -H "$(signet sign GET ${origin}/v1/whoami --profile ${sh(profile)})" ${origin}/v1/whoami

BODY='{"hello":"world"}'
curl -H "$(signet sign POST ${origin}/v1/echo --profile ${sh(profile)} -d "$BODY")" \\
  -H 'Content-Type: application/json' --data-binary "$BODY" ${origin}/v1/echo
`;
}

export function nodeSnippet({ origin, audience, kid }: SnippetInput): string {
  const audienceOption = audience === origin ? '' : `, audience: '${audience}'`;
  return `// Node 20+, with the Signet client kit: import from 'signet-auth/client'.
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
  return `# Python 3 with PyJWT and cryptography: pip install "pyjwt[crypto]" (Debian: python3-jwt).
import base64, hashlib, json, secrets, time, urllib.request

import jwt
from cryptography.hazmat.primitives.serialization import load_pem_private_key

ORIGIN = "${origin}"
AUDIENCE = "${audience}"
KID = "${kid}"
KEY = load_pem_private_key(open("${keyFileName(kid)}", "rb").read(), password=None)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def signet_authorization(method, url, body=b""):
    """The Authorization header for one request; url and body exactly as sent."""
    now = int(time.time())
    claims = {"method": method.upper(), "url": url, "body_sha256": b64url(hashlib.sha256(body).digest()),
              "aud": AUDIENCE, "iat": now, "exp": now + 60, "jti": secrets.token_urlsafe(16)}
    return "Signet " + jwt.encode(claims, KEY, algorithm="EdDSA", headers={"kid": KID, "typ": "signet+jwt"})


def call(method, path, body=b""):
    url = ORIGIN + path
    request = urllib.request.Request(url, data=body or None, method=method, headers={
        "Authorization": signet_authorization(method, url, body), "Content-Type": "application/json"})
    with urllib.request.urlopen(request) as answer:
        return answer.status, json.load(answer)


print(*call("GET", "/v1/whoami"))
print(*call("POST", "/v1/echo", json.dumps({"hello": "world"}).encode()))
`;
}
