import { parseRequestFormat, signToHeaders } from '../../client/request-format.js';
import { CLIENT_OPTIONS, CLIENT_OPTIONS_HELP, clientSetup, readData, requirePositionals, resolveTarget, ttlFlag } from '../client-setup.js';
import { paletteFor } from '../color.js';
import { EXIT, type Command } from '../command.js';
import { renderClaims } from '../explain.js';

/** How the printed header lines spell the field names. */
const HEADER_NAMES: Readonly<Record<string, string>> = { 'signature-input': 'Signature-Input', signature: 'Signature', 'content-digest': 'Content-Digest' };

export const signCommand: Command = {
  path: ['sign'],
  summary: 'Print an Authorization header for one request (for curl and other tools)',
  usage: `signet sign METHOD PATH|URL [-d DATA|@FILE] [--ttl 60s] [--format jws|rfc9421] [--json] [--explain] [--profile NAME]

Signs one request and prints its header line, "Authorization: Signet <token>", for another tool
to send. The token is bound to the method, the URL and the exact body bytes, and works once:

  curl -H "$(signet sign GET https://api.example.com/v1/whoami)" https://api.example.com/v1/whoami
  curl -H "$(signet sign POST /v1/echo -d @body.json)" --data-binary @body.json https://api.example.com/v1/echo

Send the body byte for byte (curl --data-binary, not -d), and the URL exactly as signed.
With --format rfc9421 it prints the RFC 9421 header lines instead (Signature-Input, Signature, and
Content-Digest with a body), one per line: pass each to curl with its own -H.

${CLIENT_OPTIONS_HELP}
  -d, --data D      the body that will be sent: a string, @FILE for a file's exact bytes, @- for stdin
  --ttl T           token lifetime: seconds, or with an s or m suffix (default 60s, the
                    server's maximum applies)
  --format F        jws (default) or rfc9421
  --json            print {"authorization", "token", "claims"} as JSON ({"headers", "claims"}
                    with --format rfc9421)
  --explain         print the signed claims on standard error`,
  options: {
    ...CLIENT_OPTIONS,
    data: { type: 'string', short: 'd' },
    ttl: { type: 'string' },
    format: { type: 'string' },
    json: { type: 'boolean' },
    explain: { type: 'boolean' },
  },
  async run({ values, positionals, io }) {
    const [method, target] = requirePositionals(positionals, ['METHOD', 'PATH|URL']) as [string, string];
    const setup = await clientSetup(values);
    const url = resolveTarget(target, setup.profile.server);
    const body = await readData(values.data);
    const format = parseRequestFormat(values.format as string | undefined);
    const signed = await signToHeaders(
      {
        method,
        url: new URL(url).href,
        ...(body !== undefined ? { body } : {}),
        key: setup.key,
        kid: setup.kid,
        lifetimeSeconds: ttlFlag(values.ttl, 60),
      },
      { format },
    );
    if (values.explain === true) io.stderr.write(renderClaims(signed.claims, setup.kid, 0, paletteFor(io.stderr, setup.env)));
    if (format === 'rfc9421') {
      if (values.json === true) io.stdout.write(JSON.stringify({ headers: signed.headers, claims: signed.claims }) + '\n');
      else for (const [name, value] of Object.entries(signed.headers)) io.stdout.write(`${HEADER_NAMES[name] ?? name}: ${value}\n`);
      return EXIT.ok;
    }
    const authorization = signed.headers.authorization!;
    if (values.json === true) io.stdout.write(JSON.stringify({ authorization, token: authorization.slice(authorization.indexOf(' ') + 1), claims: signed.claims }) + '\n');
    else io.stdout.write(`Authorization: ${authorization}\n`);
    return EXIT.ok;
  },
};
