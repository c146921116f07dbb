import { execFile, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newHmacSecret } from '../../src/protocol/hmac-secret.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { hmacConsumer, type Admin } from '../helpers/hmac.js';
import { suiteRuns } from '../helpers/optional-suites.js';

const PYTHON = '/usr/bin/python3';
const run = promisify(execFile);
const pyjwt = spawnSync(PYTHON, ['-c', 'import jwt; jwt.encode({}, "k" * 32, algorithm="HS256")'], { encoding: 'utf8' }).status === 0;
const runs = suiteRuns('the PyJWT HS256 interop test', pyjwt ? undefined : `${PYTHON} cannot import jwt (apt-get install python3-jwt)`);

/** The secret check of docs/protocol.md section 1.1, taken from the page itself. */
const doc = readFileSync(new URL('../../docs/protocol.md', import.meta.url), 'utf8');
const secretOk = /```python\n(import zlib[\s\S]*?def secret_ok[\s\S]*?)```/.exec(doc)?.[1];

const CLIENT = `
import base64, hashlib, json, secrets, sys, urllib.error, urllib.request
import jwt
${secretOk}
def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

command, args = sys.argv[1], json.loads(sys.argv[2])
if command == "check":
    print(json.dumps([secret_ok(s) for s in args]))
    sys.exit(0)
secret = args["secret"]
assert secret_ok(secret)
body = args["body"].encode()
claims = {"method": "POST", "url": args["url"], "body_sha256": b64url(hashlib.sha256(body).digest()),
          "aud": args["aud"], "iat": args["now"], "exp": args["now"] + 60, "jti": secrets.token_urlsafe(16)}
token = jwt.encode(claims, secret, algorithm="HS256", headers={"kid": args["kid"], "typ": "signet+jwt"})
request = urllib.request.Request(args["send_to"], data=body, method="POST", headers={"Authorization": f"Signet {token}"})
try:
    with urllib.request.urlopen(request, timeout=10) as response:
        status, text = response.status, response.read().decode()
except urllib.error.HTTPError as error:
    status, text = error.code, error.read().decode()
print(json.dumps({"status": status, "body": json.loads(text)}))
`;

async function python(command: string, args: unknown): Promise<unknown> {
  const { stdout } = await run(PYTHON, ['-c', CLIENT, command, JSON.stringify(args)], { encoding: 'utf8', timeout: 20_000 });
  return JSON.parse(stdout);
}

describe.skipIf(!runs)('an HMAC client written with PyJWT HS256 from docs/protocol.md', () => {
  let h: Harness;
  let client: { consumerId: string; kid: string; secret: string };
  beforeAll(async () => {
    h = await startHarness();
    const admin: Admin = await h.addAdmin();
    client = await hmacConsumer(h, admin, 'python-hmac');
  });
  afterAll(async () => h?.close());

  it('finds the secret check in docs/protocol.md', () => {
    expect(secretOk).toContain('def secret_ok');
  });

  it("accepts the server's secrets and refuses mistyped, truncated and foreign ones with the documented check", async () => {
    const good = newHmacSecret();
    const typo = good.slice(0, 30) + (good[30] === 'a' ? 'b' : 'a') + good.slice(31);
    expect(await python('check', [good, client.secret, typo, good.slice(0, 56), `ghp_${good.slice(4)}`])).toEqual([true, true, false, false, false]);
  });

  it('gets 200 for a POST signed with PyJWT HS256 keyed with the secret string', async () => {
    const result = await python('send', {
      secret: client.secret,
      kid: client.kid,
      url: `${h.origin}/v1/echo`,
      aud: h.origin,
      send_to: `${h.baseUrl}/v1/echo`,
      body: '{"hello":"hmac"}',
      now: Math.floor(h.clock.now() / 1000),
    });
    expect(result).toMatchObject({ status: 200, body: { body: '{"hello":"hmac"}', consumer_id: client.consumerId } });
  });
});
