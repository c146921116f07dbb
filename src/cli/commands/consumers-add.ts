import { readFile } from 'node:fs/promises';
import { systemClock } from '../../clock.js';
import { loadConfig } from '../../config.js';
import { SignetError } from '../../protocol/errors.js';
import { newConsumerId, newKeyId } from '../../protocol/ids.js';
import { importEd25519PublicKey, jwkThumbprint } from '../../protocol/public-key.js';
import { openDatabase } from '../../store/factory.js';
import { KnexCredentialStore } from '../../store/knex-credential-store.js';
import { migrateToLatest } from '../../store/migrations.js';
import { SELF_SERVICE_SCOPE } from '../../server/routes/admin-enrollment.js';
import { EXIT, UsageError, type Command } from '../command.js';
import { requireString } from '../flags.js';

export const consumersAddCommand: Command = {
  path: ['consumers', 'add'],
  summary: 'Register a consumer and its public key (local operator path)',
  usage: `signet consumers add NAME --public-key FILE [--label TEXT] [--scopes a,b] [--db FILE] [--json]

Writes a new consumer and its Ed25519 public key straight into the database (no server needed)
and prints the consumer id and the key id (the "kid" the consumer signs with).

  --public-key FILE   the public key: PEM, JWK or an OpenSSH "ssh-ed25519" line
  --label TEXT        a label for the key
  --scopes a,b        scopes granted to the key (comma separated; default "keys", as for an
                      enrolled key: the consumer may list, add and rotate its own keys;
                      --scopes "" grants none)
  --db FILE           SQLite database file (SIGNET_DB, default ./data/signet.sqlite)
  --json              print {consumer_id, key_id, thumbprint} as JSON`,
  options: {
    'public-key': { type: 'string' },
    label: { type: 'string' },
    scopes: { type: 'string' },
    db: { type: 'string' },
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
    const scopes = typeof values.scopes === 'string' ? values.scopes.split(',').map((s) => s.trim()).filter(Boolean) : [SELF_SERVICE_SCOPE];
    const config = loadConfig(values.db !== undefined ? { db: String(values.db) } : {});
    const db = openDatabase(config);
    try {
      await migrateToLatest(db);
      const store = new KnexCredentialStore(db);
      const keyId = newKeyId();
      let created;
      try {
        created = await store.createConsumerWithKey(
          { id: newConsumerId(), name: name.trim() },
          { id: keyId, consumerId: '', type: 'ed25519', publicKey, thumbprint, label: (values.label as string | undefined) ?? '', scopes },
          systemClock.now(),
        );
      } catch (error) {
        if (/unique|constraint/i.test(String((error as Error).message))) {
          throw new SignetError('conflict', { detail: 'This public key is already registered.' });
        }
        throw error;
      }
      const result = { consumer_id: created.consumer.id, key_id: created.key.id, thumbprint };
      if (values.json === true) io.stdout.write(JSON.stringify(result) + '\n');
      else io.stdout.write(`consumer ${result.consumer_id} (${name.trim()})\nkey id    ${result.key_id}\n`);
    } finally {
      await db.destroy();
    }
    return EXIT.ok;
  },
};
