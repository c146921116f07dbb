import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config.js';
import { formatKeyEntry, parseKeyring } from '../../../src/keyring-text.js';
import { createKeyFile, developmentKeyFile, loadMasterKeyring, MasterKeyring, newMasterKey, writeKeyFile } from '../../../src/server/secrets/master-keyring.js';
import { openSecret, sealSecret, SecretUnavailableError } from '../../../src/server/secrets/secret-box.js';

const KEY = Buffer.alloc(32, 7);
const owner = { consumerId: 'con_a', keyId: 'key_a' };
const plaintext = new TextEncoder().encode('sgnt_hs_plaintext');
const quietLog = () => ({ info: vi.fn(), warn: vi.fn() });

describe('master keyring text', () => {
  it('reads a bare key (version 1) in base64, base64url, padded or not', () => {
    for (const text of [KEY.toString('base64'), KEY.toString('base64url'), KEY.toString('base64').replace(/=+$/, '')]) {
      expect(parseKeyring(text, 'X')).toEqual([{ version: 1, key: new Uint8Array(KEY) }]);
    }
  });

  it('reads VERSION:KEY entries separated by commas or lines, skipping comments, sorted by version', () => {
    const a = newMasterKey(3);
    const b = newMasterKey(1);
    const keys = parseKeyring(`# comment\n${formatKeyEntry(a)}\n\n${formatKeyEntry(b)}`, 'X');
    expect(keys.map((k) => k.version)).toEqual([1, 3]);
    expect(parseKeyring(`${formatKeyEntry(a)},${formatKeyEntry(b)}`, 'X')).toEqual(keys);
  });

  it('refuses wrong lengths, garbage, duplicate versions, version 0 and unversioned keys among several, naming the source', () => {
    const cases = [
      Buffer.alloc(31).toString('base64'),
      Buffer.alloc(33).toString('base64'),
      'not base64 at all!',
      `1:${KEY.toString('base64')},1:${KEY.toString('base64')}`,
      `0:${KEY.toString('base64')}`,
      `${KEY.toString('base64')},2:${KEY.toString('base64')}`,
      '',
      '# only a comment',
    ];
    for (const text of cases) expect(() => parseKeyring(text, 'SIGNET_MASTER_KEY'), text).toThrow(/^SIGNET_MASTER_KEY: /);
  });

  it('is validated by loadConfig, which refuses SIGNET_MASTER_KEY and SIGNET_MASTER_KEY_FILE together', () => {
    expect(loadConfig({}, { SIGNET_MASTER_KEY: KEY.toString('base64') }).masterKey).toBe(KEY.toString('base64'));
    expect(() => loadConfig({}, { SIGNET_MASTER_KEY: 'short' })).toThrow(ConfigError);
    expect(() => loadConfig({}, { SIGNET_MASTER_KEY: KEY.toString('base64'), SIGNET_MASTER_KEY_FILE: '/tmp/x' })).toThrow(/both set/);
  });
});

describe('loadMasterKeyring', () => {
  it('creates the development key file beside the database (mode 0600) and warns loudly', () => {
    const dir = mkdtempSync(join(tmpdir(), 'signet-mk-'));
    const log = quietLog();
    const keyring = loadMasterKeyring({ db: join(dir, 'data', 'signet.sqlite'), masterKey: undefined, masterKeyFile: undefined }, log);
    const file = developmentKeyFile(join(dir, 'data', 'signet.sqlite'));
    expect(file).toBe(join(dir, 'data', 'master.key'));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(keyring.versions()).toEqual([1]);
    expect(log.warn).toHaveBeenCalledWith(expect.anything(), expect.stringMatching(/^WARNING: neither SIGNET_MASTER_KEY nor SIGNET_MASTER_KEY_FILE/));
    // The next start reads the same key back and still warns.
    const again = loadMasterKeyring({ db: join(dir, 'data', 'signet.sqlite'), masterKey: undefined, masterKeyFile: undefined }, log);
    expect(again.current().key).toEqual(keyring.current().key);
    expect(log.warn).toHaveBeenCalledTimes(2);
  });

  it('creates a key file only once: a second creator (another worker starting) keeps the first file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'signet-mk-'));
    const file = join(dir, 'master.key');
    const first = newMasterKey(1);
    expect(createKeyFile(file, [first])).toBe(true);
    expect(createKeyFile(file, [newMasterKey(1)])).toBe(false);
    expect(parseKeyring(readFileSync(file, 'utf8'), 'file')).toEqual([first]);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['master.key']);
  });

  it('uses SIGNET_MASTER_KEY without touching the disk, and warns about a key file others can read', () => {
    const log = quietLog();
    const keyring = loadMasterKeyring({ db: '/nonexistent/dir/db.sqlite', masterKey: `2:${KEY.toString('base64url')}`, masterKeyFile: undefined }, log);
    expect(keyring.current()).toEqual({ version: 2, key: new Uint8Array(KEY) });
    expect(log.warn).not.toHaveBeenCalled();
    const dir = mkdtempSync(join(tmpdir(), 'signet-mk-'));
    const file = join(dir, 'keys');
    writeFileSync(file, `1:${KEY.toString('base64')}\n`, { mode: 0o644 });
    loadMasterKeyring({ db: ':memory:', masterKey: undefined, masterKeyFile: file }, log);
    expect(log.warn).toHaveBeenCalledWith(expect.anything(), expect.stringContaining(`chmod 600 ${file}`));
  });

  it('re-reads a key file when a secret names a version it lacks, and before encrypting when the file changed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'signet-mk-'));
    const file = join(dir, 'master.keys');
    const v1 = newMasterKey(1);
    writeKeyFile(file, [v1]);
    const keyring = loadMasterKeyring({ db: ':memory:', masterKey: undefined, masterKeyFile: file }, quietLog());
    const v2 = newMasterKey(2);
    writeKeyFile(file, [v1, v2]);
    // Another process (rotate-master-key) sealed under version 2 meanwhile.
    const other = new MasterKeyring([v1, v2]);
    const sealed = sealSecret(other, owner, 1, plaintext);
    expect(sealed.masterKeyVersion).toBe(2);
    expect(openSecret(keyring, owner, sealed)).toEqual(plaintext);
    expect(keyring.current().version).toBe(2);
    expect(readFileSync(file, 'utf8')).toMatch(/^# Signet master keys/);
  });
});

describe('sealed secrets (AES-256-GCM)', () => {
  const keyring = new MasterKeyring([{ version: 1, key: new Uint8Array(KEY) }]);

  it('open to the plaintext for the same owner, with a fresh 96-bit IV every time', () => {
    const a = sealSecret(keyring, owner, 1, plaintext);
    const b = sealSecret(keyring, owner, 1, plaintext);
    expect(a.iv).toHaveLength(12);
    expect(Buffer.from(a.iv).equals(Buffer.from(b.iv))).toBe(false);
    expect(a.ciphertext).toHaveLength(plaintext.length + 16);
    expect(Buffer.from(a.ciphertext).includes(Buffer.from(plaintext))).toBe(false);
    expect(openSecret(keyring, owner, a)).toEqual(plaintext);
  });

  it('fail to open for another consumer, another key, another record version or another master key version', () => {
    const sealed = sealSecret(keyring, owner, 1, plaintext);
    const relabelled = new MasterKeyring([
      { version: 1, key: new Uint8Array(KEY) },
      { version: 2, key: new Uint8Array(KEY) },
    ]);
    expect(() => openSecret(keyring, { ...owner, consumerId: 'con_b' }, sealed)).toThrow(SecretUnavailableError);
    expect(() => openSecret(keyring, { ...owner, keyId: 'key_b' }, sealed)).toThrow(SecretUnavailableError);
    expect(() => openSecret(keyring, owner, { ...sealed, recordVersion: 2 })).toThrow(SecretUnavailableError);
    // Same key bytes under another version number: the version is authenticated too.
    expect(() => openSecret(relabelled, owner, { ...sealed, masterKeyVersion: 2 })).toThrow(SecretUnavailableError);
  });

  it('fail closed on a flipped ciphertext or tag bit, a wrong master key and an unknown version', () => {
    const sealed = sealSecret(keyring, owner, 1, plaintext);
    for (const index of [0, sealed.ciphertext.length - 1]) {
      const altered = new Uint8Array(sealed.ciphertext);
      altered[index]! ^= 1;
      expect(() => openSecret(keyring, owner, { ...sealed, ciphertext: altered })).toThrow(SecretUnavailableError);
    }
    expect(() => openSecret(new MasterKeyring([newMasterKey(1)]), owner, sealed)).toThrow(/fails authentication/);
    expect(() => openSecret(keyring, owner, { ...sealed, masterKeyVersion: 9 })).toThrow(/version 9 is not in the keyring/);
  });
});
