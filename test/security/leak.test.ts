import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { generateKeyPair, type Ed25519KeyPair } from '../../src/client/keys.js';
import { decodeBase64url } from '../../src/protocol/base64url.js';
import { publicKeyToJwk, publicKeyToPem } from '../../src/protocol/public-key.js';
import { parseKeyring } from '../../src/keyring-text.js';
import { developmentKeyFile } from '../../src/server/secrets/master-keyring.js';
import { openSqlite } from '../../src/store/factory.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { sendWith } from '../helpers/hmac.js';

/**
 * The leak test: after a full scenario (admin, enrollment, self-service Ed25519 keys with rotation
 * and revocation, HMAC keys issued by the admin and by the consumer, signed traffic that fills
 * usage, last-use times and the audit log, then a master key rotation that re-encrypts the HMAC
 * secrets and audits it), every table and every file under the data directory is read, and no
 * private key (in any encoding) and no plaintext HMAC secret or enrollment code may appear
 * anywhere; no master key anywhere but its own file, and no sealed secret outside hmac_secrets.
 */

/**
 * Substrings any base64 (or base64url) text containing `bytes` must contain, whatever the offset
 * of `bytes` in the encoded blob: one per alignment modulo 3, without the characters that mix in
 * neighbouring bytes.
 */
function base64Needles(bytes: Buffer): string[] {
  const needles: string[] = [];
  for (const encoding of ['base64', 'base64url'] as const) {
    for (let k = 0; k < 3; k++) {
      const text = Buffer.concat([Buffer.alloc(k), bytes, Buffer.alloc(3)]).toString(encoding);
      needles.push(text.slice(Math.ceil((k * 8) / 6), Math.floor(((k + bytes.length) * 8) / 6)));
    }
  }
  return needles;
}

/** Every text and byte form a secret could take: raw, hex in both cases, base64 and base64url at any alignment. */
function forms(name: string, bytes: Buffer): Array<{ name: string; needle: Buffer }> {
  const texts = [bytes.toString('hex'), bytes.toString('hex').toUpperCase(), ...base64Needles(bytes)];
  return [{ name: `${name} (raw bytes)`, needle: bytes }, ...texts.map((t, i) => ({ name: `${name} (encoding ${i})`, needle: Buffer.from(t, 'latin1') }))];
}

async function privateKeyForms(name: string, pair: Ed25519KeyPair): Promise<Array<{ name: string; needle: Buffer }>> {
  const jwk = (await crypto.subtle.exportKey('jwk', pair.privateKey)) as JsonWebKey;
  const seed = Buffer.from(jwk.d!, 'base64url');
  const pkcs8 = Buffer.from(await crypto.subtle.exportKey('pkcs8', pair.privateKey));
  expect(seed).toHaveLength(32);
  return [
    ...forms(`${name} seed`, seed),
    // The PKCS#8 body starts with a prefix shared by every Ed25519 key: search for its key-bearing tail.
    ...forms(`${name} PKCS#8`, pkcs8.subarray(pkcs8.length - 34)),
    { name: `${name} JWK d`, needle: Buffer.from(`"d":"${jwk.d}"`) },
  ];
}

/** Cell values as every text they could be read as. */
function cellTexts(value: unknown): Buffer[] {
  if (value === null || value === undefined) return [];
  if (Buffer.isBuffer(value)) return [value, Buffer.from(value.toString('hex')), Buffer.from(value.toString('base64')), Buffer.from(value.toString('base64url'))];
  return [Buffer.from(String(value))];
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe('what the data directory holds after a full scenario', () => {
  const dir = mkdtempSync(join(tmpdir(), 'signet-leak-'));
  const db = join(dir, 'data', 'signet.sqlite');
  let h: Harness;
  const privateKeys: Array<[string, Ed25519KeyPair]> = [];
  const hmacSecrets: string[] = [];
  const enrollmentCodes: string[] = [];
  const publicKeys: Uint8Array[] = [];
  let tables: Map<string, Array<Record<string, unknown>>>;
  let files: Map<string, Buffer>;
  /** The sealed secrets (IV and ciphertext, base64url as stored) before and after the rotation. */
  const sealedForms: string[] = [];
  let rotation: { code: number; stderr: string };

  beforeAll(async () => {
    // No SIGNET_MASTER_KEY: the development key file is written beside the database, in the directory scanned.
    h = await startHarness({ db });
    const admin = await h.addAdmin();
    privateKeys.push(['admin', admin.pair]);
    const asAdmin = { pair: admin.pair, kid: admin.kid };
    const json = async <T>(response: Response, status: number): Promise<T> => {
      const text = await response.text();
      expect(response.status, text).toBe(status);
      return JSON.parse(text) as T;
    };

    // An Ed25519 consumer enrolls with a code, adds a key, rotates the first, revokes the second.
    const alice = await json<{ id: string }>(await h.send({ method: 'POST', path: '/admin/v1/consumers', json: { name: 'alice', metadata: { tier: 'gold' } }, ...asAdmin }), 201);
    const code = await json<{ code: string }>(await h.send({ method: 'POST', path: `/admin/v1/consumers/${alice.id}/enrollment-codes`, json: { scopes: ['keys'] }, ...asAdmin }), 201);
    enrollmentCodes.push(code.code);
    const first = await generateKeyPair();
    const enrolled = await json<{ key: { id: string } }>(
      await h.send({ method: 'POST', path: '/v1/enroll', json: { code: code.code, public_key: publicKeyToJwk(first.publicKey), label: 'laptop' }, proof: first }),
      201,
    );
    const second = await generateKeyPair();
    const added = await json<{ id: string }>(
      await h.send({ method: 'POST', path: '/v1/keys', json: { public_key: publicKeyToPem(second.publicKey), label: 'ci' }, pair: first, kid: enrolled.key.id, proof: second }),
      201,
    );
    const third = await generateKeyPair();
    const rotated = await json<{ key: { id: string } }>(
      await h.send({ method: 'POST', path: `/v1/keys/${enrolled.key.id}/rotate`, json: { public_key: publicKeyToJwk(third.publicKey) }, pair: first, kid: enrolled.key.id, proof: third }),
      201,
    );
    await json(await h.send({ method: 'POST', path: `/v1/keys/${added.id}/revoke`, json: {}, pair: third, kid: rotated.key.id }), 200);
    privateKeys.push(['enrolled', first], ['added', second], ['rotated-in', third]);
    publicKeys.push(first.publicKey, second.publicKey, third.publicKey);

    // An HMAC consumer: one key issued by the admin, one it issues for itself with that key.
    const bob = await json<{ id: string }>(await h.send({ method: 'POST', path: '/admin/v1/consumers', json: { name: 'bob', allowed_modes: ['ed25519', 'hmac'] }, ...asAdmin }), 201);
    const issued = await json<{ key: { id: string }; secret: string }>(await h.send({ method: 'POST', path: `/admin/v1/consumers/${bob.id}/keys/hmac`, json: { scopes: ['keys'] }, ...asAdmin }), 201);
    const own = await json<{ key: { id: string }; secret: string }>(await sendWith(h, { method: 'POST', path: '/v1/keys/hmac', key: issued.secret, kid: issued.key.id, json: { label: 'self' } }), 201);
    hmacSecrets.push(issued.secret, own.secret);

    // Traffic: usage, last use and refusals, with every live key.
    for (let i = 0; i < 5; i++) {
      h.clock.advance(1_000);
      expect((await h.send({ method: 'GET', path: '/v1/whoami', pair: third, kid: rotated.key.id })).status).toBe(200);
      expect((await h.send({ method: 'POST', path: '/v1/echo', body: `payload ${i}`, pair: first, kid: enrolled.key.id })).status).toBe(200);
      expect((await sendWith(h, { method: 'GET', path: '/v1/whoami', key: issued.secret, kid: issued.key.id })).status).toBe(200);
      expect((await sendWith(h, { method: 'POST', path: '/v1/echo', key: own.secret, kid: own.key.id, json: { i } })).status).toBe(200);
      expect((await h.send({ method: 'GET', path: '/v1/whoami', pair: second, kid: added.id })).status).toBe(401);
    }
    expect((await h.send({ method: 'GET', path: '/admin/v1/usage?granularity=minute', ...asAdmin })).status).toBe(200);
    // Closing flushes usage and last-use times, so the files hold everything the scenario produced.
    await h.close();

    // Rotate the master key on the closed database: it re-encrypts both secrets and audits it.
    const readSealed = async () => {
      const knex = openSqlite(db);
      try {
        for (const row of await knex('hmac_secrets').select('iv', 'ciphertext')) sealedForms.push(String(row.iv), String(row.ciphertext));
      } finally {
        await knex.destroy();
      }
    };
    await readSealed();
    let stderr = '';
    const exitCode = await main(['admin', 'rotate-master-key', '--db', db], { stdout: { write: () => undefined }, stderr: { write: (t: string) => (stderr += t) } });
    rotation = { code: exitCode, stderr };
    await readSealed();

    const knex = openSqlite(db);
    try {
      tables = new Map();
      const names = (await knex('sqlite_master').where({ type: 'table' }).select('name')).map((r: { name: string }) => r.name);
      for (const name of names) tables.set(name, await knex(name).select('*'));
    } finally {
      await knex.destroy();
    }
    files = new Map(filesUnder(dir).map((path) => [path, readFileSync(path)]));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Names of the needles found in any table cell or any file. */
  function found(needles: Array<{ name: string; needle: Buffer }>): string[] {
    const hits = new Set<string>();
    for (const [table, rows] of tables) {
      for (const row of rows) {
        for (const [column, value] of Object.entries(row)) {
          for (const text of cellTexts(value)) for (const { name, needle } of needles) if (text.includes(needle)) hits.add(`${name} in ${table}.${column}`);
        }
      }
    }
    for (const [path, bytes] of files) for (const { name, needle } of needles) if (bytes.includes(needle)) hits.add(`${name} in ${path.slice(dir.length)}`);
    return [...hits];
  }

  it('reads what it claims: the tables of every feature, the database files, and the public keys in them', () => {
    for (const table of ['consumers', 'keys', 'audit_log', 'enrollment_codes', 'usage_rollups', 'hmac_secrets']) {
      expect(tables.get(table)?.length ?? 0, table).toBeGreaterThan(0);
    }
    expect([...files.keys()].some((path) => path.endsWith('signet.sqlite'))).toBe(true);
    // The scanner does find key material that is meant to be there: every uploaded public key.
    for (const publicKey of publicKeys) expect(found(forms('public key', Buffer.from(publicKey))).length).toBeGreaterThan(0);
  });

  it('holds no Ed25519 private key: no seed, no PKCS#8 body, no JWK d, in raw, hex or base64 form', async () => {
    const needles = (await Promise.all(privateKeys.map(([name, pair]) => privateKeyForms(name, pair)))).flat();
    expect(needles.length).toBeGreaterThan(50);
    expect(found(needles)).toEqual([]);
  });

  it('holds no plaintext HMAC secret, not even its random part, in any encoding', () => {
    const needles = hmacSecrets.flatMap((secret, i) => [
      { name: `HMAC secret ${i}`, needle: Buffer.from(secret) },
      ...forms(`HMAC secret ${i} random part`, Buffer.from(secret.slice(8, 51))),
      ...forms(`HMAC secret ${i} as key bytes`, Buffer.from(secret)),
    ]);
    expect(found(needles)).toEqual([]);
    expect(tables.get('hmac_secrets')).toHaveLength(2);
  });

  it('holds no master key anywhere but its own file, and no sealed secret outside hmac_secrets, the audit entries of the master key rotation included', () => {
    expect(rotation.code, rotation.stderr).toBe(0);
    const audit = tables.get('audit_log')!;
    expect(audit.filter((row) => row.action === 'master_key.add')).toHaveLength(1);
    expect(audit.filter((row) => row.action === 'master_key.reencrypt')).toHaveLength(1);
    const keyFile = developmentKeyFile(db);
    const masterKeys = parseKeyring(readFileSync(keyFile, 'utf8'), keyFile);
    expect(masterKeys.map((k) => k.version)).toEqual([1, 2]);
    const hits = found(masterKeys.flatMap((k) => forms(`master key ${k.version}`, Buffer.from(k.key))));
    expect(hits.filter((hit) => !hit.endsWith(` in ${keyFile.slice(dir.length)}`))).toEqual([]);
    // The scanner does see the keys where they are meant to be.
    expect(hits.length).toBeGreaterThan(0);

    // Four sealed forms per secret (IV and ciphertext, before and after): each as stored, and as bytes.
    expect(sealedForms).toHaveLength(8);
    const sealedNeedles = sealedForms.flatMap((text, i) => [{ name: `sealed ${i}`, needle: Buffer.from(text) }, ...forms(`sealed ${i} bytes`, Buffer.from(decodeBase64url(text)))]);
    const outside = new Map([...tables].filter(([table]) => table !== 'hmac_secrets'));
    const hitsOutside: string[] = [];
    for (const [table, rows] of outside) {
      for (const row of rows) {
        for (const [column, value] of Object.entries(row)) {
          for (const text of cellTexts(value)) for (const { name, needle } of sealedNeedles) if (text.includes(needle)) hitsOutside.push(`${name} in ${table}.${column}`);
        }
      }
    }
    expect(hitsOutside).toEqual([]);
  });

  it('holds no plaintext enrollment code', () => {
    expect(found(enrollmentCodes.flatMap((code, i) => forms(`enrollment code ${i}`, Buffer.from(code))))).toEqual([]);
  });
});
