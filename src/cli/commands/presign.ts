import { presignUrl } from '../../client/presign.js';
import { CLIENT_OPTIONS, CLIENT_OPTIONS_HELP, clientSetup, requirePositionals, resolveTarget, ttlFlag } from '../client-setup.js';
import { paletteFor } from '../color.js';
import { EXIT, type Command } from '../command.js';
import { renderClaims } from '../explain.js';

export const presignCommand: Command = {
  path: ['presign'],
  summary: 'Make a single-use, short-lived GET link',
  usage: `signet presign PATH|URL [--ttl 5m] [--json] [--explain] [--profile NAME]

Prints a link that performs one signed GET without any header: the token travels in the
query parameter signet_token. It works once, for GET only, until the lifetime passes (plus the
server's clock-skew tolerance). Anyone holding the link can use it in that time: treat it as a
secret.

  curl "$(signet presign /v1/reports/42 --ttl 5m)"

${CLIENT_OPTIONS_HELP}
  --ttl T           lifetime: seconds, or with an s or m suffix; 1 s to 5m (300 s), default 60s
  --json            print {"url", "expires_at", "claims"} as JSON
  --explain         print the signed claims on standard error`,
  options: { ...CLIENT_OPTIONS, ttl: { type: 'string' }, json: { type: 'boolean' }, explain: { type: 'boolean' } },
  async run({ values, positionals, io }) {
    const [target] = requirePositionals(positionals, ['PATH|URL']) as [string];
    const ttl = ttlFlag(values.ttl, 60);
    const setup = await clientSetup(values);
    const link = await presignUrl({
      url: resolveTarget(target, setup.profile.server),
      key: setup.key,
      kid: setup.kid,
      ttl,
    });
    if (values.explain === true) io.stderr.write(renderClaims(link.claims, setup.kid, 0, paletteFor(io.stderr, setup.env)));
    if (values.json === true) {
      io.stdout.write(JSON.stringify({ url: link.url, expires_at: new Date(link.expiresAt).toISOString(), claims: link.claims }) + '\n');
    } else {
      io.stdout.write(link.url + '\n');
    }
    return EXIT.ok;
  },
};
