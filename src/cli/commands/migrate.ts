import { loadConfig } from '../../config.js';
import { describeDatabase, openDatabase } from '../../store/factory.js';
import { migrateToLatest, migrationConfig, rollbackAll } from '../../store/migrations.js';
import { EXIT, type Command } from '../command.js';

export const migrateCommand: Command = {
  path: ['migrate'],
  summary: 'Create or upgrade the database schema',
  usage: `signet migrate [--db FILE] [--down]

Runs every pending migration (the server also does this at start unless
SIGNET_MIGRATE_ON_START=false). --down rolls every migration back, dropping Signet's tables.

  --db FILE   SQLite database file (SIGNET_DB, default ./data/signet.sqlite); with
              SIGNET_DATABASE_URL set, that PostgreSQL database instead
  --down      roll back all migrations`,
  options: { db: { type: 'string' }, down: { type: 'boolean' } },
  async run({ values, io }) {
    const config = loadConfig(values.db !== undefined ? { db: String(values.db) } : {});
    const db = openDatabase(config);
    try {
      if (values.down === true) {
        await rollbackAll(db);
        io.stdout.write(`rolled back all migrations in ${describeDatabase(config)}\n`);
      } else {
        const pending = async () => ((await db.migrate.list(migrationConfig)) as [unknown[], unknown[]])[1].length;
        const before = await pending();
        await migrateToLatest(db);
        const left = await pending();
        const applied = before - left;
        io.stdout.write(`applied ${applied} migration${applied === 1 ? '' : 's'}; database ${describeDatabase(config)} is up to date (${left} pending)\n`);
      }
    } finally {
      await db.destroy();
    }
    return EXIT.ok;
  },
};
