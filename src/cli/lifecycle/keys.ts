import { resolve } from 'node:path';
import { publicKeyToJwk } from '../../protocol/public-key.js';
import { CLIENT_OPTIONS, CLIENT_OPTIONS_HELP, requirePositionals } from '../client-setup.js';
import { EXIT, UsageError, type Command } from '../command.js';
import { saveProfile } from '../profiles.js';
import { printAnswer, reportFailure, withServer, type ApiAnswer } from './api-client.js';
import { discardKey } from './enroll.js';
import { JSON_HELP, newLocalKey, parseDuration, parseScopes } from './flags.js';
import { printKey, type KeyJson } from './key-lines.js';
import { segment, signedCall, signedSession } from './session.js';

export const keysListCommand: Command = {
  path: ['keys', 'list'],
  summary: 'List your keys',
  usage: `signet keys list [--json] [--profile NAME]

${JSON_HELP}
${CLIENT_OPTIONS_HELP}`,
  options: { ...CLIENT_OPTIONS, json: { type: 'boolean' } },
  async run({ values, positionals, io }) {
    requirePositionals(positionals, []);
    return signedCall(values, io, ['GET', '/v1/keys'], (list, session) => {
      for (const key of list.items as KeyJson[]) printKey(key, io, session.kid);
    });
  },
};

export const keysAddCommand: Command = {
  path: ['keys', 'add'],
  summary: 'Generate and register another key pair',
  usage: `signet keys add [--label TEXT] [--scopes a,b] [--key-out FILE] [--save-profile NAME] [--json] [--profile NAME]

Generates a key pair here and uploads the public key, signed by your current key and, as proof
of possession, by the new key. The new key gets your current key's scopes unless --scopes names
fewer (a key cannot grant scopes it lacks).

  --label TEXT          a label for the new key
  --scopes a,b          scopes of the new key (a subset of the current key's)
  --key-out FILE        private key file (default: keys/ beside the profile file)
  --save-profile NAME   also save a profile that uses the new key
${JSON_HELP}
${CLIENT_OPTIONS_HELP}`,
  options: { ...CLIENT_OPTIONS, label: { type: 'string' }, scopes: { type: 'string' }, 'key-out': { type: 'string' }, 'save-profile': { type: 'string' }, json: { type: 'boolean' } },
  async run({ values, positionals, io }) {
    requirePositionals(positionals, []);
    const scopes = parseScopes(values.scopes);
    const session = await signedSession(values);
    const saveAs = typeof values['save-profile'] === 'string' ? values['save-profile'] : undefined;
    const { pair, file } = await newLocalKey(session.env, saveAs ?? session.profile.name ?? 'key', values['key-out']);
    return withServer(io, async () => {
      const answer = await uploading(file, () =>
        session.api.call('POST', '/v1/keys', {
          json: { public_key: publicKeyToJwk(pair.publicKey), ...(typeof values.label === 'string' ? { label: values.label } : {}), ...(scopes !== undefined ? { scopes } : {}) },
          proof: pair,
        }),
      );
      if (answer.status !== 201) return reportFailure(answer, io);
      if (saveAs !== undefined) await saveProfile(session.env.configFile, saveAs, { server: session.server, kid: answer.body.id, key_file: resolve(file) });
      return printAnswer(answer, 201, values, io, (key) => {
        printKey(key, io);
        io.stderr.write(`private key ${resolve(file)} (mode 0600)${saveAs !== undefined ? `, profile "${saveAs}"` : ''}\n`);
      });
    });
  },
};

/** Sends an upload; a key the server did not take is deleted again. */
async function uploading(file: string, send: () => Promise<ApiAnswer>): Promise<ApiAnswer> {
  let answer: ApiAnswer | undefined;
  try {
    answer = await send();
    return answer;
  } finally {
    if (answer === undefined || answer.status !== 201) await discardKey(file);
  }
}

export const keysRotateCommand: Command = {
  path: ['keys', 'rotate'],
  summary: 'Replace a key: upload a new one, switch the profile to it, let the old one expire',
  usage: `signet keys rotate [KID] [--overlap 24h] [--label TEXT] [--key-out FILE] [--json] [--profile NAME]

Generates a new key pair, uploads it (signed by your current key and by the new one), and sets
the old key to expire after the overlap, so programs still using it keep working meanwhile. When
KID is the profile's key (the default), the profile switches to the new key.

  KID              the key to replace (default: the profile's key)
  --overlap D      how long the old key keeps working: 0 to 30d (default 24h), e.g. 0, 90m, 7d
  --label TEXT     label of the new key (default: the old key's)
  --key-out FILE   private key file (default: keys/ beside the profile file)
${JSON_HELP}
${CLIENT_OPTIONS_HELP}`,
  options: { ...CLIENT_OPTIONS, overlap: { type: 'string' }, label: { type: 'string' }, 'key-out': { type: 'string' }, json: { type: 'boolean' } },
  async run({ values, positionals, io }) {
    if (positionals.length > 1) throw new UsageError(`Unexpected argument "${positionals[1]}".`);
    const overlap = typeof values.overlap === 'string' ? parseDuration(values.overlap, '--overlap') : undefined;
    const session = await signedSession(values);
    const target = positionals[0] ?? session.kid;
    const { pair, file } = await newLocalKey(session.env, session.profile.name ?? 'key', values['key-out']);
    return withServer(io, async () => {
      const answer = await uploading(file, () =>
        session.api.call('POST', `/v1/keys/${segment(target)}/rotate`, {
          json: { public_key: publicKeyToJwk(pair.publicKey), ...(overlap !== undefined ? { overlap_seconds: overlap } : {}), ...(typeof values.label === 'string' ? { label: values.label } : {}) },
          proof: pair,
        }),
      );
      if (answer.status !== 201) return reportFailure(answer, io);
      const switched = session.profile.name !== undefined && target === session.kid;
      if (switched) await saveProfile(session.env.configFile, session.profile.name!, { server: session.server, kid: answer.body.key.id, key_file: resolve(file) });
      return printAnswer(answer, 201, values, io, ({ key, previous }) => {
        io.stdout.write(`new key  ${key.id}  private key ${resolve(file)} (mode 0600)\nold key  ${previous.id}  expires ${previous.expires_at}\n`);
        io.stderr.write(switched ? `profile "${session.profile.name}" now uses ${key.id}\n` : `no profile switched: use --kid ${key.id} --key ${resolve(file)}\n`);
      });
    });
  },
};

export const keysRevokeCommand: Command = {
  path: ['keys', 'revoke'],
  summary: 'Revoke one of your keys at once',
  usage: `signet keys revoke KID [--force] [--json] [--profile NAME]

The very next request signed with the key is refused. Revoking a revoked key is harmless.
Revoking your last active key locks you out, so it needs --force.

  --force   allow revoking your last active key
${JSON_HELP}
${CLIENT_OPTIONS_HELP}`,
  options: { ...CLIENT_OPTIONS, force: { type: 'boolean' }, json: { type: 'boolean' } },
  async run({ values, positionals, io }) {
    const [kid] = requirePositionals(positionals, ['KID']);
    const session = await signedSession(values);
    return withServer(io, async () => {
      const answer = await session.api.call('POST', `/v1/keys/${segment(kid!)}/revoke`, values.force === true ? { json: { force: true } } : {});
      if (answer.status === 409 && answer.body?.last_active_key === true) {
        io.stderr.write(`${kid} is your last active key; revoking it locks you out. Repeat with --force to do it anyway.\n`);
        return EXIT.requestFailed;
      }
      return printAnswer(answer, 200, values, io, (key) => printKey(key, io, session.kid));
    });
  },
};
