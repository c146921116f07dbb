import { resolve } from 'node:path';
import { loadClientEnv, loadConfig } from '../../config.js';
import { newConsumerId, newKeyId } from '../../protocol/ids.js';
import { jwkThumbprint } from '../../protocol/public-key.js';
import { FIRST_ADMIN_SCOPES } from '../../protocol/scopes.js';
import { LOCAL_OPERATOR_CONTEXT } from '../../store/types.js';
import { EXIT, UsageError, type Command } from '../command.js';
import { assertDatabaseExists, openLocalStores } from '../local-stores.js';
import { readProfileFile, saveProfile } from '../profiles.js';
import { newLocalKey } from './flags.js';

export const adminInitCommand: Command = {
  path: ['admin', 'init'],
  summary: 'Create the first admin: a local key pair registered directly in the database',
  usage: `signet admin init [--server URL] [--db FILE] [--create-db] [--name NAME] [--profile NAME] [--key-out FILE] [--force] [--json]

Generates an Ed25519 key pair on this machine (private key mode 0600), registers its public key
straight in the database as a new consumer whose key has the scopes admin and keys, and saves a
CLI profile for it. No admin password or token exists: every admin call is signed with this key.
Run it on the server machine (it needs the database); the audit log records it as local-operator.

  --server URL     the API's public origin for the profile (default: SIGNET_PUBLIC_ORIGIN)
  --db FILE        SQLite database file (SIGNET_DB, default ./data/signet.sqlite, as for
                   \`signet serve\`); with SIGNET_DATABASE_URL set, that PostgreSQL database
  --create-db      create the SQLite database if it does not exist (otherwise refused)
  --name NAME      consumer name (default "admin")
  --profile NAME   profile to write (default "admin"; becomes the default profile if none is set)
  --key-out FILE   private key file (default: keys/ beside the profile file)
  --force          replace an existing profile of that name
  --json           print {consumer_id, kid, key_file, profile} as JSON`,
  options: {
    server: { type: 'string' },
    db: { type: 'string' },
    'create-db': { type: 'boolean' },
    name: { type: 'string' },
    profile: { type: 'string' },
    'key-out': { type: 'string' },
    force: { type: 'boolean' },
    json: { type: 'boolean' },
  },
  async run({ values, positionals, io }) {
    if (positionals.length > 0) throw new UsageError(`Unexpected argument "${positionals[0]}".`);
    const config = loadConfig(typeof values.db === 'string' ? { db: values.db } : {});
    const env = loadClientEnv();
    const profileName = typeof values.profile === 'string' ? values.profile : 'admin';
    const server = typeof values.server === 'string' ? values.server : config.publicOrigin;
    if ((await readProfileFile(env.configFile)).profiles[profileName] !== undefined && values.force !== true) {
      throw new UsageError(`The profile "${profileName}" already exists in ${env.configFile}; pick another --profile or pass --force.`);
    }
    const createDb = values['create-db'] === true;
    // Before any key file is written: a wrong folder must leave nothing behind.
    if (!createDb) assertDatabaseExists(config);
    const { pair, file } = await newLocalKey(env, profileName, values['key-out']);
    const local = await openLocalStores(config, { create: createDb });
    let created;
    try {
      created = await local.credentials.createConsumerWithKey(
        { id: newConsumerId(), name: typeof values.name === 'string' ? values.name : 'admin' },
        { id: newKeyId(), consumerId: '', type: 'ed25519', publicKey: pair.publicKey, thumbprint: await jwkThumbprint(pair.publicKey), label: 'admin init', scopes: [...FIRST_ADMIN_SCOPES] },
        LOCAL_OPERATOR_CONTEXT,
      );
    } finally {
      await local.close();
    }
    const keyFile = resolve(file);
    await saveProfile(env.configFile, profileName, { server, kid: created.key.id, key_file: keyFile });
    const result = { consumer_id: created.consumer.id, kid: created.key.id, key_file: keyFile, profile: profileName, server };
    if (values.json === true) {
      io.stdout.write(JSON.stringify(result) + '\n');
    } else {
      io.stdout.write(`admin consumer ${result.consumer_id}\nkey id         ${result.kid} (scopes admin, keys)\nprivate key    ${keyFile} (mode 0600)\nprofile        ${profileName} -> ${server}\n`);
    }
    return EXIT.ok;
  },
};
