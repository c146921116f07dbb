import type { EventBus, InvalidationEvent } from '../store/types.js';
import type { KeyCache } from './key-cache.js';
import type { Logger } from './logger.js';

export interface SharedKeyCache {
  /** Invalidations are being published right now. */
  readonly publishing: boolean;
  /** Resolves once every invalidation published so far has been handed to the bus. */
  settled(): Promise<void>;
  leave(): void;
}

/**
 * Joins `cache` to the event bus: an invalidation made here (revocation, key change, consumer
 * disabled) is published to the other instances, and theirs are applied here through the cache's
 * generation counter. While the bus is deaf the cache keeps entries for a second at most.
 *
 * Publishing happens after the change is committed (the routes invalidate after the store call),
 * so an instance that hears the event and reads again sees the new state. A publish that fails
 * (Redis down) is logged; the bus tells every instance to drop everything once it reconnects, and
 * the other instances are deaf meanwhile if they cannot reach Redis either.
 */
export function shareKeyCache(cache: KeyCache, bus: EventBus, logger: Logger): SharedKeyCache {
  const member = bus.join({
    onEvent: (event) => cache.apply(event),
    onDeaf: (deaf) => {
      cache.setDeaf(deaf);
      if (deaf) logger.warn('event bus disconnected: cached keys now live at most a second until it is back');
      else logger.info('event bus connected: cached keys dropped and cached normally again');
    },
  });
  if (member.deaf) cache.setDeaf(true);
  const pending = new Set<Promise<void>>();
  cache.onInvalidate((event: InvalidationEvent) => {
    const published = member.publish(event).catch((error: unknown) => {
      logger.error({ err: error, event }, 'could not tell the other instances about an invalidation; they catch up when the event bus reconnects');
    });
    pending.add(published);
    void published.finally(() => pending.delete(published));
  });
  return {
    get publishing() {
      return pending.size > 0;
    },
    settled: async () => {
      await Promise.all([...pending]);
    },
    leave: () => member.leave(),
  };
}
