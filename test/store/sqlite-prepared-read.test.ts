import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqlite } from '../../src/store/factory.js';
import { preparedSqliteRead } from '../../src/store/sqlite-prepared-read.js';

/** The one place that reaches into knex's pool: it must read what knex reads, and stand aside where it cannot. */
describe('preparedSqliteRead, the prepared-statement read beside knex on SQLite', () => {
  let dir: string;
  let db: Knex;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'signet-prepared-'));
    db = openSqlite(join(dir, 'prepared.sqlite'));
    await db.schema.createTable('things', (table) => {
      table.string('id').primary();
      table.integer('n');
    });
    await db('things').insert([
      { id: 'a', n: 1 },
      { id: 'b', n: 2 },
    ]);
  });

  afterAll(async () => {
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  const build = (handle: Knex) => (parameter: string) => handle('things').select('id', 'n').where({ id: parameter });

  it('returns the rows knex returns for the same query, for every parameter, again and again', async () => {
    const read = preparedSqliteRead(db, build(db))!;
    expect(read).toBeDefined();
    for (const id of ['a', 'b', 'missing', 'a']) expect(await read(id)).toEqual(await build(db)(id));
  });

  it('sees a row written after it was prepared (no snapshot held between reads)', async () => {
    const read = preparedSqliteRead(db, build(db))!;
    expect(await read('c')).toEqual([]);
    await db('things').insert({ id: 'c', n: 3 });
    expect(await read('c')).toEqual([{ id: 'c', n: 3 }]);
  });

  it('stands aside inside a transaction, where knex holds the connection', async () => {
    await db.transaction(async (trx) => {
      expect(preparedSqliteRead(trx, build(trx))).toBeUndefined();
    });
  });

  it('refuses a query that does not take exactly one parameter', () => {
    expect(() => preparedSqliteRead(db, () => db('things').where({ id: 'fixed' }))).toThrow(/exactly one parameter/);
  });
});
