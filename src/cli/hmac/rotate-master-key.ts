import { systemClock } from '../../clock.js';
import { loadConfig, type Config } from '../../config.js';
import { formatKeyEntry } from '../../keyring-text.js';
import { keyringSource, loadMasterKeyring, newMasterKey, writeKeyFile } from '../../server/secrets/master-keyring.js';
import { reencryptSecrets } from '../../server/secrets/reencrypt.js';
import { openDatabase } from '../../store/factory.js';
import { KnexHmacSecretStore } from '../../store/knex-hmac-secret-store.js';
import { migrateToLatest } from '../../store/migrations.js';
import { LOCAL_OPERATOR_CONTEXT } from '../../store/types.js';
import { EXIT, UsageError, type Command } from '../command.js';

export const adminRotateMasterKeyCommand: Command = {
  path: ['admin', 'rotate-master-key'],
  summary: 'Re-encrypt every HMAC secret under a new master key while the server keeps serving',
  usage: `signet admin rotate-master-key [--db FILE] [--master-key-file FILE] [--no-new-key] [--json]

Run it on the server machine (it opens the database). With a key file (SIGNET_MASTER_KEY_FILE, or
the development file master.key beside the database) it adds a new master key version to the
file, then re-encrypts every secret under it, one row at a time. A running server re-reads the
file when it meets the new version, so it keeps serving throughout.

With SIGNET_MASTER_KEY (keys in the environment) it cannot reach the running servers' settings:
first give every instance the new version ("2:NEW,1:OLD", restart them one by one), then run this
command with the same SIGNET_MASTER_KEY; it re-encrypts under the highest version. --generate
prints a fresh key line for that. Remove the old version only after this command reports no
secret left under it. The whole procedure: docs/modes.md.

The audit log records the run as local-operator: master_key.add for a version added to the file,
and one master_key.reencrypt per batch of secrets re-encrypted (versions, count and key ids; never
a secret or a key).

  --db FILE               SQLite database file (SIGNET_DB, default ./data/signet.sqlite)
  --master-key-file FILE  the key file (SIGNET_MASTER_KEY_FILE)
  --no-new-key            re-encrypt under the current highest version without adding one
                          (to finish an interrupted run)
  --generate              only print a new key line (VERSION:KEY) for SIGNET_MASTER_KEY, then exit
  --json                  print {"version", "reencrypted", "failed", "by_version"} as JSON`,
  options: { db: { type: 'string' }, 'master-key-file': { type: 'string' }, 'no-new-key': { type: 'boolean' }, generate: { type: 'boolean' }, json: { type: 'boolean' } },
  async run({ values, positionals, io }) {
    if (positionals.length > 0) throw new UsageError(`Unexpected argument "${positionals[0]}".`);
    const overrides: Partial<Config> = {};
    if (typeof values.db === 'string') overrides.db = values.db;
    if (typeof values['master-key-file'] === 'string') overrides.masterKeyFile = values['master-key-file'];
    const config = loadConfig(overrides);
    const source = keyringSource(config);
    if (source.kind === 'ephemeral') throw new UsageError('An in-memory database has no secrets to rotate: pass --db FILE.');
    const logger = { info: () => undefined, warn: (_: unknown, message: string) => void io.stderr.write(`${message}\n`) };
    const keyring = loadMasterKeyring(config, logger);
    const highest = Math.max(...keyring.versions());

    if (values.generate === true) {
      io.stdout.write(`${formatKeyEntry(newMasterKey(highest + 1))}\n`);
      io.stderr.write(
        `Add this entry to SIGNET_MASTER_KEY on every instance, keeping the old ones, e.g. SIGNET_MASTER_KEY="<new>,${keyring
          .versions()
          .map((v) => `${v}:...`)
          .join(',')}".\n`,
      );
      return EXIT.ok;
    }
    const db = openDatabase(config);
    try {
      await migrateToLatest(db);
      const store = new KnexHmacSecretStore(db);
      if (source.kind === 'file' && values['no-new-key'] !== true) {
        // Append: every version already in the file stays, so servers and this run can decrypt all rows.
        const keys = keyring.versions().map((version) => keyring.get(version)!);
        const added = newMasterKey(highest + 1);
        const keyringVersions = [...keys, added].map((key) => key.version);
        // The database is open first so that the new key and its master_key.add entry go together.
        await store.recordMasterKeyAdded({ version: added.version, keyringVersions }, () => writeKeyFile(source.path, [...keys, added]), systemClock.now(), LOCAL_OPERATOR_CONTEXT);
        io.stderr.write(`added master key version ${added.version} to ${source.path}\n`);
      }
      // A terminal shows one progress line rewritten in place; a log or pipe gets one line per step, not "\r"s.
      const overwriteLine = (io.stderr as { isTTY?: boolean }).isTTY === true;
      let progressShown = false;
      const report = await reencryptSecrets({
        store,
        keyring,
        now: () => systemClock.now(),
        audit: LOCAL_OPERATOR_CONTEXT,
        onProgress: (done) => {
          progressShown = true;
          io.stderr.write(overwriteLine ? `\rre-encrypted ${done}` : `re-encrypted ${done}\n`);
        },
      });
      if (overwriteLine && progressShown) io.stderr.write('\n');
      if (values.json === true) {
        io.stdout.write(JSON.stringify({ version: report.version, reencrypted: report.reencrypted, failed: report.failed, by_version: report.byVersion }) + '\n');
      } else {
        io.stdout.write(`master key version ${report.version}: ${report.reencrypted} secret(s) re-encrypted\n`);
        for (const [version, count] of Object.entries(report.byVersion)) io.stdout.write(`  version ${version}: ${count} secret(s)\n`);
        const old = Object.keys(report.byVersion).filter((v) => Number(v) !== report.version);
        io.stderr.write(
          report.failed.length > 0
            ? `${report.failed.length} secret(s) could not be decrypted (their master key version is missing, or the row was altered): ${report.failed.join(', ')}\n`
            : old.length === 0
              ? `no secret is left under an older version: older versions may now be removed from the keyring\n`
              : `secrets remain under version(s) ${old.join(', ')}: run again\n`,
        );
      }
      return report.failed.length > 0 ? EXIT.internal : EXIT.ok;
    } finally {
      await db.destroy();
    }
  },
};
