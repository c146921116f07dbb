import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { CLIENT_OPTIONS, CLIENT_OPTIONS_HELP, requirePositionals } from '../client-setup.js';
import type { Command } from '../command.js';
import { saveProfile } from '../profiles.js';
import { withServer } from '../lifecycle/api-client.js';
import { JSON_HELP } from '../lifecycle/flags.js';
import { signedSession } from '../lifecycle/session.js';
import { hmacKeyBody, secretOutFlag, showIssued } from './admin-hmac.js';

export const keysAddHmacCommand: Command = {
  path: ['keys', 'add-hmac'],
  summary: 'Create an HMAC key for your consumer (if it allows hmac); its secret goes to a 0600 file',
  usage: `signet keys add-hmac [--label TEXT] [--scopes a,b] [--expires-in 90d] [--secret-out FILE] [--save-profile NAME] [--json] [--profile NAME]

For clients that cannot sign with Ed25519. The server generates the secret and shows it once;
this command writes it to a new file (mode 0600, default: keys/ beside the profile file) and can
save a profile that signs with it. Your consumer must allow the hmac mode (docs/modes.md).

  --label TEXT          a label for the key
  --scopes a,b          scopes of the key (a subset of the current key's; default: the same)
  --expires-in D        the key expires after this long, e.g. 90d
  --secret-out FILE     the secret file to create (default: keys/NAME-<kid>.secret)
  --save-profile NAME   also save a profile that uses the new key
${JSON_HELP}
${CLIENT_OPTIONS_HELP}`,
  options: {
    ...CLIENT_OPTIONS,
    label: { type: 'string' },
    scopes: { type: 'string' },
    'expires-in': { type: 'string' },
    'secret-out': { type: 'string' },
    'save-profile': { type: 'string' },
    json: { type: 'boolean' },
  },
  async run({ values, positionals, io }) {
    requirePositionals(positionals, []);
    const body = hmacKeyBody(values, Date.now());
    const secretOut = secretOutFlag(values['secret-out']);
    const session = await signedSession(values);
    const saveAs = typeof values['save-profile'] === 'string' ? values['save-profile'] : undefined;
    return withServer(io, async () => {
      const answer = await session.api.call('POST', '/v1/keys/hmac', { json: body });
      const kid = answer.status === 201 ? (answer.body.key.id as string) : '';
      const file = secretOut ?? join(dirname(session.env.configFile), 'keys', `${saveAs ?? session.profile.name ?? 'key'}-${kid}.secret`);
      if (answer.status === 201) await mkdir(dirname(file), { recursive: true, mode: 0o700 });
      const code = await showIssued(answer, values, io, file);
      if (code === 0 && saveAs !== undefined) {
        await saveProfile(session.env.configFile, saveAs, { server: session.server, kid, key_file: resolve(file) });
        io.stderr.write(`profile "${saveAs}" signs with ${kid}\n`);
      }
      return code;
    });
  },
};
