import { resolve } from 'node:path';
import { loadClientEnv } from '../../config.js';
import { EXIT, UsageError, type Command } from '../command.js';
import { requireString } from '../flags.js';
import { readProfileFile, removeProfile, resolveProfile, saveProfile, ProfileSchema } from '../profiles.js';

export const profileAddCommand: Command = {
  path: ['profile', 'add'],
  summary: 'Save a named profile (server, key id, key file)',
  usage: `signet profile add NAME --server URL --kid KID --key FILE [--default]

Adds or replaces a profile in the config file (SIGNET_CONFIG, default
~/.config/signet/config.json, mode 0600). The file holds the key file's path, never the key.
The first profile added becomes the default.

  --server URL   the API's public origin, e.g. https://api.example.com
  --kid KID      the key id the server issued for your public key
  --key FILE     your private key file (stored as an absolute path)
  --default      make this the default profile`,
  options: { server: { type: 'string' }, kid: { type: 'string' }, key: { type: 'string' }, default: { type: 'boolean' } },
  async run({ values, positionals, io }) {
    const [name, extra] = positionals;
    if (name === undefined || !/^[A-Za-z0-9_.-]{1,64}$/.test(name)) throw new UsageError('NAME is required: 1 to 64 letters, digits, ".", "_" or "-".');
    if (extra !== undefined) throw new UsageError(`Unexpected argument "${extra}".`);
    const profile = {
      server: requireString(values.server, '--server'),
      kid: requireString(values.kid, '--kid'),
      key_file: resolve(requireString(values.key, '--key')),
    };
    const parsed = ProfileSchema.safeParse(profile);
    if (!parsed.success) throw new UsageError(`--server must be a URL such as https://api.example.com, not "${profile.server}".`);
    const env = loadClientEnv();
    await saveProfile(env.configFile, name, parsed.data, { makeDefault: values.default === true });
    io.stderr.write(`profile "${name}" saved in ${env.configFile}\n`);
    return EXIT.ok;
  },
};

export const profileListCommand: Command = {
  path: ['profile', 'list'],
  summary: 'List the saved profiles',
  usage: `signet profile list [--json]

Lists the profiles in the config file (SIGNET_CONFIG); "*" marks the default.

  --json   print {"config_file", "default_profile", "profiles"} as JSON`,
  options: { json: { type: 'boolean' } },
  async run({ values, io }) {
    const env = loadClientEnv();
    const file = await readProfileFile(env.configFile);
    if (values.json === true) {
      io.stdout.write(JSON.stringify({ config_file: env.configFile, default_profile: file.default_profile ?? null, profiles: file.profiles }) + '\n');
      return EXIT.ok;
    }
    const names = Object.keys(file.profiles).sort();
    if (names.length === 0) io.stderr.write(`no profiles in ${env.configFile}; add one with "signet profile add"\n`);
    for (const name of names) {
      const p = file.profiles[name]!;
      io.stdout.write(`${name === file.default_profile ? '*' : ' '} ${name}  ${p.server}  ${p.kid}  ${p.key_file}\n`);
    }
    return EXIT.ok;
  },
};

export const profileShowCommand: Command = {
  path: ['profile', 'show'],
  summary: 'Show the settings a command would use, and where each comes from',
  usage: `signet profile show [NAME] [--json]

Shows the server, key id and key file that client commands would use with --profile NAME (or,
without NAME, SIGNET_PROFILE or the default profile), after SIGNET_SERVER, SIGNET_KID and
SIGNET_KEY_FILE overrides.

  --json   print {"profile", "server", "kid", "key_file"} as JSON`,
  options: { json: { type: 'boolean' } },
  async run({ values, positionals, io }) {
    if (positionals.length > 1) throw new UsageError(`Unexpected argument "${positionals[1]}".`);
    const env = loadClientEnv();
    const resolved = await resolveProfile(env, positionals[0] !== undefined ? { profile: positionals[0] } : {});
    if (values.json === true) {
      io.stdout.write(JSON.stringify({ profile: resolved.name ?? null, server: resolved.server ?? null, kid: resolved.kid ?? null, key_file: resolved.keyFile ?? null }) + '\n');
      return EXIT.ok;
    }
    const source = (fromEnv: string | undefined) => (fromEnv !== undefined ? '  (from the environment)' : '');
    io.stdout.write(
      [
        `profile   ${resolved.name ?? '(none)'}`,
        `server    ${resolved.server ?? '(unset)'}${source(env.server)}`,
        `kid       ${resolved.kid ?? '(unset)'}${source(env.kid)}`,
        `key file  ${resolved.keyFile ?? '(unset)'}${source(env.keyFile)}`,
        `config    ${env.configFile}`,
      ].join('\n') + '\n',
    );
    return EXIT.ok;
  },
};

export const profileRemoveCommand: Command = {
  path: ['profile', 'rm'],
  summary: 'Remove a saved profile (its key file is kept)',
  usage: `signet profile rm NAME

Removes the profile NAME from the config file (SIGNET_CONFIG). Its private key file is left
where it is: delete it yourself once no server knows the key (revoke it first: signet keys revoke).
If it was the default profile, no profile is the default afterwards.`,
  options: {},
  async run({ positionals, io }) {
    const [name, extra] = positionals;
    if (name === undefined) throw new UsageError('NAME is required.');
    if (extra !== undefined) throw new UsageError(`Unexpected argument "${extra}".`);
    const env = loadClientEnv();
    const removed = await removeProfile(env.configFile, name);
    if (removed === undefined) throw new UsageError(`No profile named "${name}" in ${env.configFile}.`);
    io.stderr.write(`profile "${name}" removed from ${env.configFile}; its key file ${removed.key_file} is kept\n`);
    return EXIT.ok;
  },
};
