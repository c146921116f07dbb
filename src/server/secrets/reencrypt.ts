import type { AuditContext, HmacSecretStore, SealedSecretRecord, SecretReplacement } from '../../store/types.js';
import type { MasterKeyring } from './master-keyring.js';
import { openSecret, sealSecret, SecretUnavailableError } from './secret-box.js';

export interface ReencryptOptions {
  store: HmacSecretStore;
  keyring: MasterKeyring;
  now: () => number;
  /** Who the master_key.reencrypt audit entries name (the CLI: local-operator). */
  audit: AuditContext;
  /** Rows read per query, and re-encrypted per transaction with one audit entry (default 100). */
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

/** Attempts per row: another writer (a second rotation run) may replace a row between our read and our write. */
const ATTEMPTS = 3;

/** Seals each row under the current master key; a row that does not open goes to `failed`. */
function reseal(options: ReencryptOptions, rows: readonly SealedSecretRecord[], failed: Set<string>): SecretReplacement[] {
  const replacements: SecretReplacement[] = [];
  for (const row of rows) {
    const owner = { consumerId: row.consumerId, keyId: row.keyId };
    let plaintext: Uint8Array;
    try {
      plaintext = openSecret(options.keyring, owner, row);
    } catch (error) {
      if (!(error instanceof SecretUnavailableError)) throw error;
      failed.add(row.keyId);
      continue;
    }
    try {
      replacements.push({
        keyId: row.keyId,
        expectedRecordVersion: row.recordVersion,
        fromMasterKeyVersion: row.masterKeyVersion,
        sealed: sealSecret(options.keyring, owner, row.recordVersion + 1, plaintext),
      });
    } finally {
      plaintext.fill(0);
    }
  }
  return replacements;
}

/**
 * Re-encrypts one batch: one transaction replaces its rows and writes their audit entry. A row
 * another writer changed meanwhile is re-read and retried in a transaction of its own.
 */
async function reencryptBatch(options: ReencryptOptions, rows: readonly SealedSecretRecord[], version: number, failed: Set<string>): Promise<number> {
  let pending = rows;
  let changed = 0;
  for (let attempt = 0; attempt < ATTEMPTS && pending.length > 0; attempt++) {
    const replacements = reseal(options, pending, failed);
    const replaced = new Set(await options.store.reencrypt(replacements, options.now(), options.audit));
    changed += replaced.size;
    const lost = replacements.filter((r) => !replaced.has(r.keyId));
    const reread = await Promise.all(lost.map((r) => options.store.find(r.keyId)));
    pending = reread.filter((row): row is SealedSecretRecord => row !== undefined && row.masterKeyVersion !== version);
  }
  return changed;
}

/**
 * Re-encrypts every HMAC secret under the keyring's current master key, batch by batch: each row
 * is replaced in a single statement that also checks its record version, so a server reading
 * concurrently sees either the old row or the new one, and can decrypt both while its keyring
 * holds both versions. Safe to run again after an interruption.
 *
 * Audit: one master_key.reencrypt entry per batch, in the batch's transaction, rather than one
 * summary at the end. A summary would need its own transaction after the last batch, so a run
 * interrupted (crash, killed, database gone) after committing some batches would leave secrets
 * re-encrypted with no entry; and one transaction for the whole table would hold the write lock
 * for the whole run while servers keep serving. Per batch, every committed re-encryption has its
 * entry and a rolled-back batch leaves none; batches that change nothing write nothing.
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
      const pending = rows.filter((row) => row.masterKeyVersion !== version && !failed.has(row.keyId));
      changedThisPass += await reencryptBatch(options, pending, version, failed);
      after = rows[rows.length - 1]!.keyId;
      options.onProgress?.(reencrypted + changedThisPass);
    }
    reencrypted += changedThisPass;
    if (changedThisPass === 0) break;
  }
  const counts = await options.store.countByMasterKeyVersion();
  return { version, reencrypted, failed: [...failed], byVersion: Object.fromEntries([...counts].map(([v, n]) => [String(v), n])) };
}
