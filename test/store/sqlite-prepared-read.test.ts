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

  it('on a connection of its own, reads what knex reads, committed writes included, without waiting for a transaction in progress', async () => {
    const read = preparedSqliteRead(db, build(db), { sideConnection: true })!;
    expect(await read('a')).toEqual(await build(db)('a'));
    await db('things').insert({ id: 'd', n: 4 });
    expect(await read('d')).toEqual([{ id: 'd', n: 4 }]);
    // knex's one connection is held by a transaction that writes: the side read still answers, with what is committed.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const transaction = db.transaction(async (trx) => {
      await trx('things').update({ n: 40 }).where({ id: 'd' });
      await held;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await read('d')).toEqual([{ id: 'd', n: 4 }]);
    release();
    await transaction;
    expect(await read('d')).toEqual([{ id: 'd', n: 40 }]);
  });

  it('keeps to knex’s connection for an in-memory database, which exists on that connection only', async () => {
    const memory = openSqlite(':memory:');
    try {
      await memory.schema.createTable('things', (table) => table.string('id').primary());
      await memory('things').insert({ id: 'm' });
      const read = preparedSqliteRead(memory, (p) => memory('things').select('id').where({ id: p }), { sideConnection: true })!;
      expect(await read('m')).toEqual([{ id: 'm' }]);
    } finally {
      await memory.destroy();
    }
  });
});
