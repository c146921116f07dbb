import type { Clock } from '../clock.js';
import { DirectoryFetchError, type KeyDirectoryFetcher } from './fetcher.js';
import { parseKeySet, type DirectoryKey } from './key-set.js';

export interface DirectoryCacheOptions {
  fetcher: KeyDirectoryFetcher;
  clock: Clock;
  /** Cache-Control max-age is clamped into [minTtlMs, maxTtlMs]; without one, defaultTtlMs. */
  minTtlMs: number;
  maxTtlMs: number;
  defaultTtlMs: number;
  /** An unknown keyid triggers a refresh at most this often per directory. */
  unknownKeyRefreshMs: number;
  /** After a failed refresh the last good set is used until this long past its expiry, then nothing. */
  staleMs: number;
  /** Told of every change of a directory's key set (key ids only), of refused keys, and of failed fetches, for the audit log. */
  onChange?: (change: KeySetChange) => void;
}

export interface KeySetChange {
  url: string;
  added: string[];
  removed: string[];
  refused: string[];
  /** Set when the fetch failed (the last good set, if any, is kept within the stale bound). */
  failure?: string;
}

interface Entry {
  keys: Map<string, DirectoryKey>;
  /** When the set should be fetched again. */
  freshUntil: number;
  /** When the set may no longer be used at all (freshUntil + staleMs). */
  usableUntil: number;
  lastUnknownRefresh: number;
}

/**
 * Keys of consumer-hosted directories, fetched on demand and cached per the directory's
 * Cache-Control within bounds. An unknown keyid refreshes the directory (rate-limited, so an
 * attacker sending random keyids cannot make Signet hammer a consumer's server); a failed refresh
 * keeps the last good set within a stale bound. Concurrent lookups share one fetch.
 */
export class DirectoryCache {
  private readonly entries = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<Entry | undefined>>();

  constructor(private readonly options: DirectoryCacheOptions) {}

  async resolve(url: string, keyid: string): Promise<DirectoryKey | undefined> {
    const now = this.options.clock.now();
    let entry = this.entries.get(url);
    if (entry === undefined || now >= entry.freshUntil) entry = await this.refresh(url);
    else if (!entry.keys.has(keyid) && now - entry.lastUnknownRefresh >= this.options.unknownKeyRefreshMs) {
      entry.lastUnknownRefresh = now;
      entry = await this.refresh(url);
    }
    if (entry === undefined || this.options.clock.now() >= entry.usableUntil) return undefined;
    return entry.keys.get(keyid);
  }

  /**
   * Until when what resolve answered for `url` may be reused without asking again (the set's
   * freshness): a cache of resolved keys must not keep a key the directory has since dropped.
   */
  freshUntil(url: string): number | undefined {
    return this.entries.get(url)?.freshUntil;
  }

  private refresh(url: string): Promise<Entry | undefined> {
    const pending = this.inFlight.get(url);
    if (pending !== undefined) return pending;
    const load = this.load(url).finally(() => this.inFlight.delete(url));
    this.inFlight.set(url, load);
    return load;
  }

  private async load(url: string): Promise<Entry | undefined> {
    const previous = this.entries.get(url);
    const { clock, fetcher, minTtlMs, maxTtlMs, defaultTtlMs, staleMs } = this.options;
    try {
      const fetched = await fetcher.fetch(url);
      const parsed = await parseKeySet(fetched.body);
      const now = clock.now();
      const ttl = Math.min(maxTtlMs, Math.max(minTtlMs, fetched.maxAgeSeconds === undefined ? defaultTtlMs : fetched.maxAgeSeconds * 1000));
      const keys = new Map(parsed.keys.map((key) => [key.keyid, key]));
      const entry: Entry = { keys, freshUntil: now + ttl, usableUntil: now + ttl + staleMs, lastUnknownRefresh: previous?.lastUnknownRefresh ?? now };
      this.entries.set(url, entry);
      const before = previous?.keys ?? new Map<string, DirectoryKey>();
      // A kid now bound to another key counts as removed and added: the audit shows the swap.
      const added = parsed.keys.filter((k) => before.get(k.keyid)?.thumbprint !== k.thumbprint).map((k) => k.keyid);
      const removed = [...before.values()].filter((k) => keys.get(k.keyid)?.thumbprint !== k.thumbprint).map((k) => k.keyid);
      if (added.length > 0 || removed.length > 0 || parsed.refused.length > 0) this.options.onChange?.({ url, added, removed, refused: parsed.refused });
      return entry;
    } catch (error) {
      const reason = error instanceof DirectoryFetchError ? error.reason : (error as Error).message;
      this.options.onChange?.({ url, added: [], removed: [], refused: [], failure: reason });
      if (previous === undefined) return undefined;
      // Keep the last good set until its stale bound; try again no sooner than the minimum TTL.
      previous.freshUntil = Math.min(previous.usableUntil, clock.now() + minTtlMs);
      return previous;
    }
  }
}
