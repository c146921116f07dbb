import type { EventBus, InvalidationEvent } from '../../store/types.js';
import type { KeyCache } from '../key-cache.js';
import type { CredentialInvalidation } from './credential-service.js';

/** In a server: drops this instance's cached copies; the cache tells the other instances (cache-events.ts). */
export function cacheInvalidation(cache: KeyCache): CredentialInvalidation {
  return {
    invalidate(event: InvalidationEvent): void {
      if (event.kind === 'key') cache.invalidate(event.id);
      else if (event.kind === 'consumer') cache.invalidateConsumer(event.id);
      else cache.clear();
    },
  };
}

/**
 * In a process without a key cache (a CLI command writing to the database): tells the running
 * servers through the event bus (Redis when configured; the memory bus reaches nobody outside this
 * process, and the servers' caches then expire within their TTL as before).
 */
export function busInvalidation(bus: EventBus): CredentialInvalidation & { leave(): void } {
  const member = bus.join({ onEvent: () => undefined });
  return {
    invalidate: (event) => member.publish(event),
    leave: () => member.leave(),
  };
}
