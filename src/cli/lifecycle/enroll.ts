import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { loadClientEnv } from '../../config.js';
import { publicKeyToJwk } from '../../protocol/public-key.js';
import { EXIT, UsageError, type Command } from '../command.js';
import { requireString } from '../flags.js';
import { readProfileFile, saveProfile } from '../profiles.js';
import { createApiClient, reportFailure, withServer } from './api-client.js';
import { newLocalKey } from './flags.js';
import { jsonText, shown } from '../terminal-text.js';

/** Removes a generated key the server did not take, so no orphan private key is left behind. */
export async function discardKey(file: string): Promise<void> {
  await rm(file, { force: true });
  await rm(`${file}.pub`, { force: true });
}

export const enrollCommand: Command = {
  path: ['enroll'],
  summary: 'Generate a key pair here and register it with a one-time enrollment code',
  usage: `signet enroll --server URL --code CODE [--profile NAME] [--label TEXT] [--key-out FILE] [--force] [--json]

Generates an Ed25519 key pair here (private key mode 0600), uploads the public key with the
one-time code your API provider gave you, proving possession by signing the upload with the new
key, and saves a profile for it. The private key never leaves this machine.

  --server URL     the API's public origin
  --code CODE      the enrollment code (works once)
  --profile NAME   profile to write (default "default"; becomes the default profile if none is set)
  --label TEXT     a label for the key, e.g. the machine's name
  --key-out FILE   private key file (default: keys/ beside the profile file)
  --force          replace an existing profile of that name
  --json           print the server's answer as JSON`,
  options: {
    server: { type: 'string' },
    code: { type: 'string' },
    profile: { type: 'string' },
    label: { type: 'string' },
    'key-out': { type: 'string' },
    force: { type: 'boolean' },
    json: { type: 'boolean' },
  },
  async run({ values, positionals, io }) {
    if (positionals.length > 0) throw new UsageError(`Unexpected argument "${positionals[0]}".`);
    const server = requireString(values.server, '--server');
    const code = requireString(values.code, '--code');
    if (!/^https?:\/\//i.test(server)) throw new UsageError(`--server must be an http(s) URL, not "${server}".`);
    const env = loadClientEnv();
    const profileName = typeof values.profile === 'string' ? values.profile : 'default';
    if ((await readProfileFile(env.configFile)).profiles[profileName] !== undefined && values.force !== true) {
      throw new UsageError(`The profile "${profileName}" already exists in ${env.configFile}; pick another --profile or pass --force.`);
    }
    const { pair, file } = await newLocalKey(env, profileName, values['key-out']);
    const api = createApiClient({ server });
    return withServer(io, async () => {
      const answer = await api
        .call('POST', '/v1/enroll', {
          json: { code, public_key: publicKeyToJwk(pair.publicKey), ...(typeof values.label === 'string' ? { label: values.label } : {}) },
          proof: pair,
        })
        .catch(async (error: unknown) => {
          await discardKey(file);
          throw error;
        });
      if (answer.status !== 201) {
        await discardKey(file);
        return reportFailure(answer, io);
      }
      const keyFile = resolve(file);
      await saveProfile(env.configFile, profileName, { server, kid: answer.body.key.id, key_file: keyFile });
      if (values.json === true) io.stdout.write(jsonText(answer.body) + '\n');
      else
        io.stdout.write(
          `enrolled as ${shown(answer.body.consumer_name)} (${answer.body.consumer_id})\nkey id      ${answer.body.key.id}\nprivate key ${keyFile} (mode 0600)\nprofile     ${profileName}\n`,
        );
      return EXIT.ok;
    });
  },
};
