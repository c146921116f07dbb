import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { parseKeyring } from '../../src/server/secrets/keyring-text.js';
import { MasterKeyring, writeKeyFile } from '../../src/server/secrets/master-keyring.js';
import { LOCAL_OPERATOR_CONTEXT } from '../../src/store/types.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { sendWith, type Admin } from '../helpers/hmac.js';

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t) } });
  return { code, stdout, stderr };
}

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
    writeKeyFile(keyFile, keys.filter((k) => k.version === 2));
    // A server that knows only version 2 serves every key.
    const onlyV2 = new MasterKeyring(parseKeyring(readFileSync(keyFile, 'utf8'), 'file'));
    expect(onlyV2.versions()).toEqual([2]);
    const lateKey = (await late.json()) as { key: { id: string }; secret: string };
    for (const client of [...clients.slice(0, 5), { kid: lateKey.key.id, secret: lateKey.secret }]) {
      expect((await sendWith(h, { method: 'GET', path: '/v1/whoami', key: client.secret, kid: client.kid })).status).toBe(200);
    }
    const rows = await h.stores.db('hmac_secrets').select('master_key_version', 'record_version');
    expect(rows.every((row) => Number(row.master_key_version) === 2)).toBe(true);
    expect(rows.filter((row) => Number(row.record_version) === 2).length).toBeGreaterThanOrEqual(60);
  });
});
