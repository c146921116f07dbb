import type { DirectoryCache } from '../key-directory/directory-cache.js';
import { parseDirectoryKeyId } from '../protocol/ids.js';
import type { CredentialStore, KeyWithConsumer } from '../store/types.js';
import { directoryKeyRecord } from './directory-key-record.js';

/** A key found in a consumer's directory, and until when the key cache may keep it. */
interface DirectoryKeyFind {
  found: KeyWithConsumer;
  /** The directory set's freshness: past it the key cache asks again, so a dropped key stops working. */
  cacheUntil: number | undefined;
}

export type FindDirectoryKey = (kid: string) => Promise<DirectoryKeyFind | undefined>;

export interface ConsumerDirectoryKeyDeps {
  store: Pick<CredentialStore, 'getConsumer'>;
  directories: Pick<DirectoryCache, 'resolve' | 'freshUntil'>;
}

/**
 * Keys a consumer publishes in its own key directory (docs/rfc9421.md#key-directories), addressed
 * by `<consumer id>_<directory kid>` (src/protocol/ids.ts). The consumer record comes from the
 * store, so its status, plan, modes and directory are as current as an uploaded key's; the key comes
 * from the directory cache, which applies the upload checks to every key it serves. A disabled
 * consumer's directory is not fetched at all.
 */
export function consumerDirectoryKeys(deps: ConsumerDirectoryKeyDeps): FindDirectoryKey {
  return async function findDirectoryKey(kid) {
    const named = parseDirectoryKeyId(kid);
    if (named === undefined) return undefined;
    const consumer = await deps.store.getConsumer(named.consumerId);
    const registration = consumer?.keyDirectory;
    if (consumer === undefined || registration == null || consumer.status !== 'active') return undefined;
    const key = await deps.directories.resolve(registration.url, named.directoryKid);
    if (key === undefined) return undefined;
    return {
      found: { consumer, key: directoryKeyRecord({ id: kid, consumerId: consumer.id, publicKey: key.publicKey, thumbprint: key.thumbprint, label: 'key-directory', scopes: registration.scopes }) },
      cacheUntil: deps.directories.freshUntil(registration.url),
    };
  };
}
