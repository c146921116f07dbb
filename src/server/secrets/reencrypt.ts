import type { HmacSecretStore, SealedSecretRecord } from '../../store/types.js';
import type { MasterKeyring } from './master-keyring.js';
import { openSecret, sealSecret, SecretUnavailableError } from './secret-box.js';

export interface ReencryptOptions {
  store: HmacSecretStore;
  keyring: MasterKeyring;
  now: () => number;
  /** Rows read per query (default 100). */
  batchSize?: number;
  /** Called after every batch. */
  onProgress?: (done: number) => void;
}

export interface ReencryptReport {
  /** The master key version every secret should now be under. */
  version: number;
  reencrypted: number;
  /** Secrets that did not open (unknown master key version, altered record): their key ids. */
  failed: string[];
  /** Secrets per master key version afterwards. */
  byVersion: Record<string, number>;
}

/** Passes over the table until one finds nothing left to do; a secret issued meanwhile under the old version is caught by the next pass. */
const MAX_PASSES = 5;

async function reencryptOne(options: ReencryptOptions, row: SealedSecretRecord, version: number): Promise<boolean> {
  let current: SealedSecretRecord | undefined = row;
  // Another writer (a second rotation run) may have replaced the row meanwhile: re-read and retry.
  for (let attempt = 0; attempt < 3 && current !== undefined && current.masterKeyVersion !== version; attempt++) {
    const owner = { consumerId: current.consumerId, keyId: current.keyId };
    const plaintext = openSecret(options.keyring, owner, current);
    const sealed = sealSecret(options.keyring, owner, current.recordVersion + 1, plaintext);
    plaintext.fill(0);
    if (await options.store.replace(current.keyId, current.recordVersion, sealed, options.now())) return true;
    current = await options.store.find(current.keyId);
  }
  return false;
}

/**
 * Re-encrypts every HMAC secret under the keyring's current master key, one row at a time: each
 * row is replaced in a single statement that also checks its record version, so a server reading
 * concurrently sees either the old row or the new one, and can decrypt both while its keyring
 * holds both versions. Safe to run again after an interruption.
 */
export async function reencryptSecrets(options: ReencryptOptions): Promise<ReencryptReport> {
  const batchSize = options.batchSize ?? 100;
  const version = options.keyring.current().version;
  const failed = new Set<string>();
  let reencrypted = 0;
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    let changedThisPass = 0;
    let after: string | null = null;
    for (;;) {
      const rows = await options.store.list(after, batchSize);
      if (rows.length === 0) break;
      for (const row of rows) {
        if (row.masterKeyVersion === version || failed.has(row.keyId)) continue;
        try {
          if (await reencryptOne(options, row, version)) changedThisPass++;
        } catch (error) {
          if (!(error instanceof SecretUnavailableError)) throw error;
          failed.add(row.keyId);
        }
      }
      after = rows[rows.length - 1]!.keyId;
      options.onProgress?.(reencrypted + changedThisPass);
    }
    reencrypted += changedThisPass;
    if (changedThisPass === 0) break;
  }
  const counts = await options.store.countByMasterKeyVersion();
  return { version, reencrypted, failed: [...failed], byVersion: Object.fromEntries([...counts].map(([v, n]) => [String(v), n])) };
}
