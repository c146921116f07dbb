import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { newConsumerId, newKeyId } from '../src/protocol/ids.js';
import { openSqlite } from '../src/store/factory.js';
import { consumerRow, keyRow } from '../src/store/knex-rows.js';
import { migrateToLatest } from '../src/store/migrations.js';

/**
 * Writes `keyCount` Ed25519 keys, each with a consumer of its own, into a new SQLite file and
 * returns the ids of about `sampleSize` of them spread evenly over the table. Each key gets random
 * public key bytes unless `publicKey` is given (then every key can be signed for with its pair).
 * `open` puts them in another database instead (PostgreSQL), migrated first like the file.
 */
export async function seedKeys(dbFile: string, keyCount: number, options: { sampleSize: number; publicKey?: Uint8Array; open?: () => Knex }): Promise<string[]> {
  const db = options.open?.() ?? openSqlite(dbFile);
  await migrateToLatest(db);
  const sample: string[] = [];
  const every = Math.max(1, Math.floor(keyCount / options.sampleSize));
  const now = Date.now();
  const perBatch = 5000;
  for (let done = 0; done < keyCount; done += perBatch) {
    await db.transaction(async (trx) => {
      const consumers = [];
      const keys = [];
      for (let i = 0; i < Math.min(perBatch, keyCount - done); i++) {
        const consumerId = newConsumerId();
        const id = newKeyId();
        if ((done + i) % every === 0) sample.push(id);
        consumers.push(consumerRow({ id: consumerId, name: `c${done + i}` }, now));
        keys.push(keyRow({ id, consumerId, type: 'ed25519', publicKey: options.publicKey ?? randomBytes(32), thumbprint: randomBytes(32).toString('base64url') }, now));
      }
      // SQLite allows at most 32766 bound variables a statement.
      await trx.batchInsert('consumers', consumers, 500);
      await trx.batchInsert('keys', keys, 500);
    });
    if (done % 100_000 === 0) process.stderr.write(`seeded ${done} keys\n`);
  }
  await db.destroy();
  return sample;
}
