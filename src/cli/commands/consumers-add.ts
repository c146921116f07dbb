import { readFile } from 'node:fs/promises';
import { loadConfig } from '../../config.js';
import { SignetError } from '../../protocol/errors.js';
import { newConsumerId, newKeyId } from '../../protocol/ids.js';
import { importEd25519PublicKey, jwkThumbprint } from '../../protocol/public-key.js';
import { SELF_SERVICE_SCOPE } from '../../protocol/scopes.js';
import { LOCAL_OPERATOR_CONTEXT } from '../../store/types.js';
import { EXIT, UsageError, type Command } from '../command.js';
import { requireString } from '../flags.js';
import { openLocalStores } from '../local-stores.js';

export const consumersAddCommand: Command = {
  path: ['consumers', 'add'],
  summary: 'Register a consumer and its public key (local operator path)',
  usage: `signet consumers add NAME --public-key FILE [--label TEXT] [--scopes a,b] [--db FILE] [--create-db] [--json]

Writes a new consumer and its Ed25519 public key straight into the database (no server needed)
and prints the consumer id and the key id (the "kid" the consumer signs with).

  --public-key FILE   the public key: PEM, JWK or an OpenSSH "ssh-ed25519" line
  --label TEXT        a label for the key
  --scopes a,b        scopes granted to the key (comma separated; default "keys", as for an
                      enrolled key: the consumer may list, add and rotate its own keys;
                      --scopes "" grants none)
  --db FILE           SQLite database file (SIGNET_DB, default ./data/signet.sqlite, as for
                      \`signet serve\`); with SIGNET_DATABASE_URL set, that PostgreSQL database
  --create-db         create the SQLite database if it does not exist (otherwise refused)
  --json              print {consumer_id, key_id, thumbprint} as JSON`,
  options: {
    'public-key': { type: 'string' },
    label: { type: 'string' },
    scopes: { type: 'string' },
    db: { type: 'string' },
    'create-db': { type: 'boolean' },
    json: { type: 'boolean' },
  },
  async run({ values, positionals, io }) {
    const name = positionals[0];
    if (name === undefined || name.trim() === '') throw new UsageError('NAME is required.');
    if (positionals.length > 1) throw new UsageError(`Unexpected argument "${positionals[1]}".`);
    const file = requireString(values['public-key'], '--public-key');
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      throw new SignetError('invalid_request', { detail: `Cannot read the public key file ${file}.` });
    }
    const publicKey = importEd25519PublicKey(text);
    const thumbprint = await jwkThumbprint(publicKey);
    // The same default as a key enrolled with a code: the consumer may manage its own keys (signet keys ...).
    const scopes =
      typeof values.scopes === 'string'
        ? values.scopes
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)
        : [SELF_SERVICE_SCOPE];
    const config = loadConfig(values.db !== undefined ? { db: String(values.db) } : {});
    const local = await openLocalStores(config, { create: values['create-db'] === true });
    try {
      const created = await local.credentials.createConsumerWithKey(
        { id: newConsumerId(), name: name.trim() },
        { id: newKeyId(), consumerId: '', type: 'ed25519', publicKey, thumbprint, label: (values.label as string | undefined) ?? '', scopes },
        LOCAL_OPERATOR_CONTEXT,
      );
      const result = { consumer_id: created.consumer.id, key_id: created.key.id, thumbprint };
      if (values.json === true) io.stdout.write(JSON.stringify(result) + '\n');
      else io.stdout.write(`consumer ${result.consumer_id} (${name.trim()})\nkey id    ${result.key_id}\n`);
    } finally {
      await local.close();
    }
    return EXIT.ok;
  },
};
