/**
 * The portal's own key, kept in IndexedDB. The CryptoKey is stored by structured clone, which
 * keeps it non-extractable: script on this origin can sign with it, but nothing (not even this
 * code) can read the private bytes back out. One identity per browser profile.
 */
export interface StoredIdentity {
  kid: string;
  consumerId: string;
  consumerName: string;
  scopes: string[];
  label: string | null;
  privateKey: CryptoKey;
  /** Raw 32-byte public key. */
  publicKey: Uint8Array;
  /** The public origin the key was enrolled with; a key stored for another server is ignored. */
  origin: string;
  savedAt: string;
}

const DB_NAME = 'signet-portal';
const STORE = 'identity';
const SLOT = 'current';

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB is not available.'));
  });
}

async function run<T>(mode: IDBTransactionMode, action: (store: IDBObjectStore) => IDBRequest): Promise<T> {
  const db = await open();
  try {
    return await new Promise<T>((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const request = action(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(request.result as T);
      tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed.'));
      tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted.'));
    });
  } finally {
    db.close();
  }
}

export async function loadIdentity(origin: string): Promise<StoredIdentity | undefined> {
  const found = await run<StoredIdentity | undefined>('readonly', (store) => store.get(SLOT));
  return found !== undefined && found.origin === origin ? found : undefined;
}

export async function saveIdentity(identity: StoredIdentity): Promise<void> {
  if (identity.privateKey.extractable) throw new Error('Refusing to store an extractable private key.');
  await run('readwrite', (store) => store.put(identity, SLOT));
}

export async function forgetIdentity(): Promise<void> {
  await run('readwrite', (store) => store.delete(SLOT));
}
