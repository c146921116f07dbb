import type { CredentialStore, KeyWithConsumer } from '../../src/store/types.js';
import { T0 } from './harness.js';

/**
 * A credential store reduced to findKey over a map of rows, for the key cache tests: every read is
 * counted and reads can be held open to stage a race.
 */

const PUBLIC_KEY = Uint8Array.from(Buffer.from('11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo', 'base64url'));

/** A stored key and its consumer, created at T0; the cache reads only ids and the key material. */
export function keyRecord(kid: string, options: { consumerId?: string; revokedAt?: number | null } = {}): KeyWithConsumer {
  const consumerId = options.consumerId ?? 'con_1';
  return {
    key: {
      id: kid,
      consumerId,
      type: 'ed25519',
      publicKey: PUBLIC_KEY,
      thumbprint: null,
      label: '',
      scopes: [],
      notBefore: null,
      expiresAt: null,
      revokedAt: options.revokedAt ?? null,
      lastUsedAt: null,
      createdAt: T0,
    },
    consumer: { id: consumerId, name: 'c', status: 'active', createdAt: T0, updatedAt: T0 },
  } as unknown as KeyWithConsumer;
}

/** findKey over `rows` (which a test may change at any time), counting reads in `reads`. */
export function fakeKeyStore(rows: Map<string, KeyWithConsumer>) {
  const reads: string[] = [];
  const gates: Array<() => void> = [];
  let hold = false;
  const store = {
    async findKey(kid: string) {
      reads.push(kid);
      // What the row holds when the read reaches the database, not when the read returns.
      const row = rows.get(kid);
      if (hold) await new Promise<void>((resolve) => gates.push(resolve));
      return row;
    },
  } as unknown as CredentialStore;
  return {
    store,
    reads,
    /** While on, each read waits until released. */
    holdReads: (on: boolean) => void (hold = on),
    releaseOne: () => gates.shift()?.(),
    releaseAll: () => gates.splice(0).forEach((open) => open()),
  };
}
