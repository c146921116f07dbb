import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../../helpers/harness.js';
import { hmacConsumer, sendWith, type Admin } from '../../helpers/hmac.js';

/** Every byte of the database directory's SQLite files (main file, WAL and shared memory). */
function databaseBytes(dir: string): Buffer {
  return Buffer.concat(
    readdirSync(dir)
      .filter((name) => name.startsWith('signet.sqlite'))
      .map((name) => readFileSync(join(dir, name))),
  );
}

describe('HMAC secrets at rest', () => {
  let h: Harness;
  let dir: string;
  let admin: Admin;
  let a: { consumerId: string; kid: string; secret: string };
  let b: { consumerId: string; kid: string; secret: string };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'signet-at-rest-'));
    h = await startHarness({ db: join(dir, 'signet.sqlite'), masterKeyFile: join(dir, 'keys', 'master.keys') });
    admin = await h.addAdmin();
    a = await hmacConsumer(h, admin, 'alpha');
    b = await hmacConsumer(h, admin, 'beta');
  });
  afterAll(async () => h.close());

  const whoami = (who: { kid: string; secret: string }) => sendWith(h, { method: 'GET', path: '/v1/whoami', key: who.secret, kid: who.kid });

  it('stores no plaintext secret in the database files, only AES-GCM ciphertext with a 96-bit IV', async () => {
    expect((await whoami(a)).status).toBe(200);
    const bytes = databaseBytes(dir);
    expect(bytes.length).toBeGreaterThan(0);
    for (const secret of [a.secret, b.secret]) {
      for (const form of [secret, secret.slice(8, 51), Buffer.from(secret).toString('base64url'), Buffer.from(secret).toString('base64'), Buffer.from(secret).toString('hex')]) {
        expect(bytes.includes(Buffer.from(form)), form).toBe(false);
      }
    }
    const row = await h.db('hmac_secrets').where({ key_id: a.kid }).first();
    expect(row).toMatchObject({ master_key_version: 1, record_version: 1 });
    expect(Buffer.from(row.iv, 'base64url')).toHaveLength(12);
    expect(Buffer.from(row.ciphertext, 'base64url')).toHaveLength(a.secret.length + 16);
    // and the master key is not in the database directory's SQLite files either
    const master = readFileSync(join(dir, 'keys', 'master.keys'), 'utf8')
      .trim()
      .split('\n')
      .pop()!
      .split(':')[1]!;
    expect(bytes.includes(Buffer.from(master, 'base64url'))).toBe(false);
  });

  it('refuses to decrypt records swapped between two consumers (500, nothing verifies), and works again once restored', async () => {
    const rows = await h.db('hmac_secrets').whereIn('key_id', [a.kid, b.kid]).select('*');
    const ra = rows.find((r) => r.key_id === a.kid)!;
    const rb = rows.find((r) => r.key_id === b.kid)!;
    const columns = (r: typeof ra) => ({ iv: r.iv, ciphertext: r.ciphertext, master_key_version: r.master_key_version, record_version: r.record_version });
    await h.db('hmac_secrets').where({ key_id: a.kid }).update(columns(rb));
    await h.db('hmac_secrets').where({ key_id: b.kid }).update(columns(ra));
    h.signet.keyCache.clear();
    for (const who of [a, b]) {
      const response = await whoami(who);
      expect(response.status).toBe(500);
      expect((await response.json()).code).toBe('internal_error');
    }
    // Even the other consumer's secret does not open the swapped record for it.
    expect((await whoami({ kid: a.kid, secret: b.secret })).status).toBe(500);
    await h.db('hmac_secrets').where({ key_id: a.kid }).update(columns(ra));
    await h.db('hmac_secrets').where({ key_id: b.kid }).update(columns(rb));
    h.signet.keyCache.clear();
    expect((await whoami(a)).status).toBe(200);
    expect((await whoami(b)).status).toBe(200);
  });

  it('refuses to decrypt a secret whose key was moved to another consumer', async () => {
    await h.db('keys').where({ id: a.kid }).update({ consumer_id: b.consumerId });
    h.signet.keyCache.clear();
    expect((await whoami(a)).status).toBe(500);
    await h.db('keys').where({ id: a.kid }).update({ consumer_id: a.consumerId });
    h.signet.keyCache.clear();
    expect((await whoami(a)).status).toBe(200);
  });

  it('refuses (500) a record naming a master key version the server does not have, and a flipped ciphertext bit', async () => {
    const row = await h.db('hmac_secrets').where({ key_id: b.kid }).first();
    await h.db('hmac_secrets').where({ key_id: b.kid }).update({ master_key_version: 7 });
    h.signet.keyCache.clear();
    expect((await whoami(b)).status).toBe(500);
    const flipped = Buffer.from(row.ciphertext, 'base64url');
    flipped[3]! ^= 0x10;
    await h
      .db('hmac_secrets')
      .where({ key_id: b.kid })
      .update({ master_key_version: row.master_key_version, ciphertext: flipped.toString('base64url') });
    h.signet.keyCache.clear();
    expect((await whoami(b)).status).toBe(500);
    await h.db('hmac_secrets').where({ key_id: b.kid }).update({ ciphertext: row.ciphertext });
    h.signet.keyCache.clear();
    expect((await whoami(b)).status).toBe(200);
  });
});
