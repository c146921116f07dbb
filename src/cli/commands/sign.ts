import { signRequest } from '../../client/sign.js';
import { CLIENT_OPTIONS, CLIENT_OPTIONS_HELP, clientSetup, readData, requirePositionals, resolveTarget, ttlFlag } from '../client-setup.js';
import { paletteFor } from '../color.js';
import { EXIT, type Command } from '../command.js';
import { renderClaims } from '../explain.js';

export const signCommand: Command = {
  path: ['sign'],
  summary: 'Print an Authorization header for one request (for curl and other tools)',
  usage: `signet sign METHOD PATH|URL [-d DATA|@FILE] [--ttl 60s] [--json] [--explain] [--profile NAME]

Signs one request and prints its header line, "Authorization: Signet <token>", for another tool
to send. The token is bound to the method, the URL and the exact body bytes, and works once:

  curl -H "$(signet sign GET https://api.example.com/v1/whoami)" https://api.example.com/v1/whoami
  curl -H "$(signet sign POST /v1/echo -d @body.json)" --data-binary @body.json https://api.example.com/v1/echo

Send the body byte for byte (curl --data-binary, not -d), and the URL exactly as signed.

${CLIENT_OPTIONS_HELP}
  -d, --data D      the body that will be sent: a string, @FILE for a file's exact bytes, @- for stdin
  --ttl T           token lifetime: seconds, or with an s or m suffix (default 60s, the
                    server's maximum applies)
  --json            print {"authorization", "token", "claims"} as JSON
  --explain         print the signed claims on standard error`,
  options: {
    ...CLIENT_OPTIONS,
    data: { type: 'string', short: 'd' },
    ttl: { type: 'string' },
    json: { type: 'boolean' },
    explain: { type: 'boolean' },
  },
  async run({ values, positionals, io }) {
    const [method, target] = requirePositionals(positionals, ['METHOD', 'PATH|URL']) as [string, string];
    const setup = await clientSetup(values);
    const url = resolveTarget(target, setup.profile.server);
    const body = await readData(values.data);
    const signed = await signRequest({
      method,
      url: new URL(url).href,
      ...(body !== undefined ? { body } : {}),
      key: setup.key,
      kid: setup.kid,
      lifetimeSeconds: ttlFlag(values.ttl, 60),
    });
    if (values.explain === true) io.stderr.write(renderClaims(signed.claims, setup.kid, 0, paletteFor(io.stderr, setup.env)));
    if (values.json === true) io.stdout.write(JSON.stringify({ authorization: signed.authorization, token: signed.token, claims: signed.claims }) + '\n');
    else io.stdout.write(`Authorization: ${signed.authorization}\n`);
    return EXIT.ok;
  },
};
