import { join } from 'node:path';
import { openSqlite } from '../../store/factory.js';
import type { CompareEnvironment } from './environment.js';

interface StoredColumn {
  column: string;
  /** Size of the value in bytes (decoded), or null for SQL NULL. */
  bytes: number | null;
  /** What the value is, in a few words. */
  holds: string;
}

export interface StorageView {
  table: string;
  columns: StoredColumn[];
  /** Bytes of key material stored for the key (public key, or IV + ciphertext with tag). */
  key_material_bytes: number;
  /** What an attacker can sign with, given this row alone. */
  secret_in_database: 'none' | 'encrypted';
  master_key_version: number | null;
}

const decoded = (value: unknown): number | null => (value === null || value === undefined ? null : Buffer.from(String(value), 'base64url').length);

/**
 * What the database really holds for each mode's key, read back from a copy of the SQLite file
 * (the server's stores expose no SQL; a copy is also exactly what a leak would hand over).
 */
export async function describeStorage(env: Pick<CompareEnvironment, 'ed25519' | 'hmac' | 'dir' | 'server'>): Promise<{ ed25519: StorageView; hmac: StorageView }> {
  const copy = join(env.dir, 'storage-view.sqlite');
  await env.server.signet.server.stores.snapshotTo(copy);
  const db = openSqlite(copy);
  try {
    return await describeRows(db, env);
  } finally {
    await db.destroy();
  }
}

async function describeRows(db: ReturnType<typeof openSqlite>, env: Pick<CompareEnvironment, 'ed25519' | 'hmac'>): Promise<{ ed25519: StorageView; hmac: StorageView }> {
  const edRow = await db('keys').where({ id: env.ed25519.kid }).first();
  const hmacKey = await db('keys').where({ id: env.hmac.kid }).first();
  const sealed = await db('hmac_secrets').where({ key_id: env.hmac.kid }).first();
  const iv = decoded(sealed?.iv);
  const ciphertext = decoded(sealed?.ciphertext);
  return {
    ed25519: {
      table: 'keys',
      columns: [
        { column: 'keys.public_key', bytes: decoded(edRow?.public_key), holds: 'Ed25519 public key' },
        { column: 'keys.thumbprint', bytes: edRow?.thumbprint == null ? null : String(edRow.thumbprint).length, holds: 'RFC 7638 thumbprint (text)' },
      ],
      key_material_bytes: decoded(edRow?.public_key) ?? 0,
      secret_in_database: 'none',
      master_key_version: null,
    },
    hmac: {
      table: 'keys + hmac_secrets',
      columns: [
        { column: 'keys.public_key', bytes: decoded(hmacKey?.public_key), holds: 'nothing (NULL)' },
        { column: 'hmac_secrets.iv', bytes: iv, holds: 'AES-GCM IV, random per record' },
        { column: 'hmac_secrets.ciphertext', bytes: ciphertext, holds: 'AES-256-GCM ciphertext of the secret + 16-byte tag' },
        { column: 'hmac_secrets.master_key_version', bytes: null, holds: `master key version ${sealed?.master_key_version}` },
      ],
      key_material_bytes: (iv ?? 0) + (ciphertext ?? 0),
      secret_in_database: 'encrypted',
      master_key_version: sealed === undefined ? null : Number(sealed.master_key_version),
    },
  };
}
