import type { Knex } from 'knex';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newConsumerId } from '../../../src/protocol/ids.js';
import { HmacKeys } from '../../../src/server/secrets/hmac-keys.js';
import { parseKeyring, type MasterKey } from '../../../src/keyring-text.js';
import { MasterKeyring, newMasterKey, writeKeyFile } from '../../../src/server/secrets/master-keyring.js';
import { reencryptSecrets } from '../../../src/server/secrets/reencrypt.js';
import { openSqlite } from '../../../src/store/factory.js';
import { KnexCredentialStore } from '../../../src/store/knex-credential-store.js';
import { KnexHmacSecretStore } from '../../../src/store/knex-hmac-secret-store.js';
import { migrateToLatest } from '../../../src/store/migrations.js';
import { LOCAL_OPERATOR_CONTEXT } from '../../../src/store/types.js';
import { runInProcess as cli } from '../../helpers/cli-process.js';
import { startHarness, type Harness } from '../../helpers/harness.js';
import { sendWith, type Admin } from '../../helpers/hmac.js';

/**
 * `signet admin rotate-master-key` against a live server: the CLI opens the same SQLite file on
 * its own connection, adds version 2 to the key file and re-encrypts row by row while requests
 * keep coming. The key cache is off (TTL 0), so every request decrypts its secret from the table.
 */
describe('master key rotation under load', () => {
  let h: Harness;
  let dir: string;
  let db: string;
  let keyFile: string;
  let admin: Admin;
  const clients: Array<{ kid: string; secret: string }> = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'signet-rotation-'));
    db = join(dir, 'signet.sqlite');
    keyFile = join(dir, 'master.keys');
    h = await startHarness({ db, masterKeyFile: keyFile, keyCacheTtlMs: 0, negativeCacheTtlMs: 0 });
    admin = await h.addAdmin();
    const consumer = await h.stores.credentials.createConsumer({ id: 'con_rotation000000000000000', name: 'rot', allowedModes: ['ed25519', 'hmac'] }, h.clock.now());
    for (let i = 0; i < 60; i++) {
      const issued = await h.signet.server.hmacKeys.issue(consumer, { label: `k${i}`, scopes: [], notBefore: null, expiresAt: null }, h.clock.now(), LOCAL_OPERATOR_CONTEXT);
      clients.push({ kid: issued.key.id, secret: issued.secret });
    }
  });
  afterAll(async () => h.close());

  it('re-encrypts every secret under a new master key without a single failed request', async () => {
    const statuses = new Map<number, number>();
    let sent = 0;
    let sentDuringRotation = 0;
    let rotating = false;
    let stop = false;
    const worker = async (offset: number) => {
      for (let i = offset; !stop; i += 4) {
        const client = clients[i % clients.length]!;
        const response = await sendWith(h, { method: 'GET', path: '/v1/whoami', key: client.secret, kid: client.kid });
        await response.arrayBuffer();
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        sent++;
        if (rotating) sentDuringRotation++;
      }
    };
    const load = Promise.all([0, 1, 2, 3].map(worker));
    while (sent < 40) await new Promise((resolve) => setTimeout(resolve, 5));

    rotating = true;
    const rotation = cli('admin', 'rotate-master-key', '--db', db, '--master-key-file', keyFile, '--json');
    // A key issued by the server while the rotation runs is caught by a later pass or the next run.
    const late = await h.send({ method: 'POST', path: '/admin/v1/consumers/con_rotation000000000000000/keys/hmac', json: {}, ...admin });
    expect(late.status).toBe(201);
    const result = await rotation;
    rotating = false;
    const after = sent;
    while (sent < after + 40) await new Promise((resolve) => setTimeout(resolve, 5));
    stop = true;
    await load;

    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ version: 2, failed: [] });
    expect(report.reencrypted).toBeGreaterThanOrEqual(60);
    expect([...statuses.keys()]).toEqual([200]);
    expect(sentDuringRotation).toBeGreaterThan(0);

    // Finish: anything sealed under version 1 meanwhile moves now; then version 1 can go.
    const finish = await cli('admin', 'rotate-master-key', '--db', db, '--master-key-file', keyFile, '--no-new-key', '--json');
    expect(JSON.parse(finish.stdout).by_version).toEqual({ '2': 61 });
    const keys = parseKeyring(readFileSync(keyFile, 'utf8'), 'file');
    expect(keys.map((k) => k.version)).toEqual([1, 2]);
    writeKeyFile(
      keyFile,
      keys.filter((k) => k.version === 2),
    );
    // A server that knows only version 2 serves every key.
    const onlyV2 = new MasterKeyring(parseKeyring(readFileSync(keyFile, 'utf8'), 'file'));
    expect(onlyV2.versions()).toEqual([2]);
    const lateKey = (await late.json()) as { key: { id: string }; secret: string };
    for (const client of [...clients.slice(0, 5), { kid: lateKey.key.id, secret: lateKey.secret }]) {
      expect((await sendWith(h, { method: 'GET', path: '/v1/whoami', key: client.secret, kid: client.kid })).status).toBe(200);
    }
    const rows = await h.db('hmac_secrets').select('key_id', 'master_key_version', 'record_version', 'iv', 'ciphertext');
    expect(rows.every((row) => Number(row.master_key_version) === 2)).toBe(true);
    expect(rows.filter((row) => Number(row.record_version) === 2).length).toBeGreaterThanOrEqual(60);

    // Both runs are in the audit log, through the admin API: the key added, then every secret moved.
    const audit = async (action: string) => {
      const answer = await h.send({ method: 'GET', path: `/admin/v1/audit?action=${action}&limit=200`, ...admin });
      expect(answer.status).toBe(200);
      return ((await answer.json()) as { items: AuditJson[] }).items;
    };
    const added = await audit('master_key.add');
    expect(added).toEqual([
      expect.objectContaining({ actor: 'local-operator', target: { type: 'master_key', id: '2' }, consumer_id: null, before: null, after: { master_key_version: 2, keyring_versions: [1, 2] } }),
    ]);
    const moved = await audit('master_key.reencrypt');
    expect(moved.length).toBeGreaterThan(0);
    for (const entry of moved) {
      expect(entry).toMatchObject({ actor: 'local-operator', target: { type: 'master_key', id: '2' }, consumer_id: null, before: { master_key_versions: { '1': entry.after.reencrypted } } });
      expect(entry.after).toEqual({ master_key_versions: { '2': entry.after.reencrypted }, reencrypted: entry.after.key_ids.length, key_ids: expect.any(Array) });
    }
    // Every secret re-encrypted (record version 2; the late key may have been sealed under version 2
    // from the start) is named by exactly one entry, and no other is.
    const named = moved.flatMap((entry) => entry.after.key_ids);
    expect(named.length).toBe(report.reencrypted + JSON.parse(finish.stdout).reencrypted);
    expect(new Set(named).size).toBe(named.length);
    expect(new Set(named)).toEqual(new Set(rows.filter((row) => Number(row.record_version) === 2).map((row) => String(row.key_id))));
    for (const client of clients) expect(named).toContain(client.kid);
    // Numbers and key ids only: no secret, no sealed secret.
    const text = JSON.stringify([...added, ...moved]);
    for (const client of clients) expect(text).not.toContain(client.secret.slice(8));
    for (const row of rows) {
      expect(text).not.toContain(String(row.ciphertext));
      expect(text).not.toContain(String(row.iv));
    }
  });
});

interface AuditJson {
  actor: string;
  target: { type: string; id: string };
  consumer_id: string | null;
  before: Record<string, unknown> | null;
  after: { reencrypted: number; key_ids: string[] } & Record<string, unknown>;
}

/**
 * What a rotation leaves in the audit log when it does not run to the end: entries only for what
 * was committed, each in the transaction of the change it describes.
 */
describe('the audit trail of a master key rotation that does not finish', () => {
  const v1 = newMasterKey(1);
  const v2 = newMasterKey(2);

  async function database(path: string, secrets: number): Promise<{ db: Knex; store: KnexHmacSecretStore; kids: string[] }> {
    const db = openSqlite(path);
    await migrateToLatest(db);
    const store = new KnexHmacSecretStore(db);
    const consumer = await new KnexCredentialStore(db).createConsumer({ id: newConsumerId(), name: 'rot', allowedModes: ['ed25519', 'hmac'] }, Date.now());
    const issuer = new HmacKeys(store, new MasterKeyring([v1]), { error: () => undefined });
    const kids: string[] = [];
    for (let i = 0; i < secrets; i++) kids.push((await issuer.issue(consumer, { label: `k${i}`, scopes: [], notBefore: null, expiresAt: null }, Date.now(), LOCAL_OPERATOR_CONTEXT)).key.id);
    return { db, store, kids };
  }
  const rotate = (store: KnexHmacSecretStore, keys: MasterKey[]) => reencryptSecrets({ store, keyring: new MasterKeyring(keys), now: () => Date.now(), audit: LOCAL_OPERATOR_CONTEXT, batchSize: 10 });
  const entries = async (db: Knex, action: string) =>
    (await db('audit_log').where({ action }).orderBy('id')).map((row) => ({ ...row, after: JSON.parse(String(row.after)) as { key_ids: string[]; reencrypted: number } }));
  const underVersion = async (db: Knex, version: number) => (await db('hmac_secrets').where({ master_key_version: version }).pluck('key_id')).map(String).sort();

  it('leaves entries for exactly the batches it committed when a batch fails midway, and none for the failed batch', async () => {
    const { db, store, kids } = await database(':memory:', 25);
    try {
      // The 15th secret cannot be written: the second batch (secrets 11 to 20) fails after some of its rows were updated.
      const sorted = [...kids].sort();
      await db.raw(`create trigger refuse_one before update on hmac_secrets when old.key_id = '${sorted[14]}' begin select raise(abort, 'disk I/O error'); end`);
      await expect(rotate(store, [v1, v2])).rejects.toThrow(/disk I\/O error/);
      const moved = await underVersion(db, 2);
      expect(moved).toEqual(sorted.slice(0, 10));
      const first = await entries(db, 'master_key.reencrypt');
      expect(first).toHaveLength(1);
      expect([...first[0]!.after.key_ids].sort()).toEqual(moved);

      // Run again once the fault is gone: the rest moves, each secret named by exactly one entry.
      await db.raw('drop trigger refuse_one');
      expect((await rotate(store, [v1, v2])).reencrypted).toBe(15);
      const all = await entries(db, 'master_key.reencrypt');
      expect(all.flatMap((entry) => entry.after.key_ids).sort()).toEqual(sorted);
      // Nothing left to do: no entry.
      expect((await rotate(store, [v1, v2])).reencrypted).toBe(0);
      expect(await entries(db, 'master_key.reencrypt')).toHaveLength(all.length);
    } finally {
      await db.destroy();
    }
  });

  it('writes no entry for secrets that do not decrypt (their master key version is missing)', async () => {
    const { db, store, kids } = await database(':memory:', 3);
    try {
      const report = await rotate(store, [v2]);
      expect(report).toMatchObject({ reencrypted: 0, byVersion: { '1': 3 } });
      expect(report.failed.sort()).toEqual([...kids].sort());
      expect(await entries(db, 'master_key.reencrypt')).toEqual([]);
    } finally {
      await db.destroy();
    }
  });

  it('adds no master key, records no master_key.add and re-encrypts nothing when the key file cannot be written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'signet-rotation-fail-'));
    const path = join(dir, 'signet.sqlite');
    const keyFile = join(dir, 'master.keys');
    writeKeyFile(keyFile, [v1]);
    const { db } = await database(path, 3);
    await db.destroy();
    // writeKeyFile writes a temporary file beside the key file, then renames it: a directory in its place refuses the write.
    mkdirSync(`${keyFile}.${process.pid}.tmp`);
    const result = await cli('admin', 'rotate-master-key', '--db', path, '--master-key-file', keyFile, '--json');
    expect(result.code).not.toBe(0);
    expect(parseKeyring(readFileSync(keyFile, 'utf8'), 'file').map((k) => k.version)).toEqual([1]);
    const check = openSqlite(path);
    try {
      expect(await check('audit_log').where('action', 'like', 'master_key.%')).toEqual([]);
      expect(await underVersion(check, 1)).toHaveLength(3);
    } finally {
      await check.destroy();
    }
  });
});
