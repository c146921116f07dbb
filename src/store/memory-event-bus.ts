import type { BusMember, EventBus, EventSubscriber, InvalidationEvent } from './types.js';

/**
 * The event bus of one process: publishing calls every other member's subscriber synchronously,
 * so an app that shares this bus with another (tests, embedders running two apps) sees the
 * change before publish resolves. It is never deaf.
 */
export class MemoryEventBus implements EventBus {
  private readonly members = new Set<{ subscriber: EventSubscriber }>();

  join(subscriber: EventSubscriber): BusMember {
    const self = { subscriber };
    this.members.add(self);
    return {
      deaf: false,
      publish: async (event: InvalidationEvent) => {
        for (const member of this.members) if (member !== self) member.subscriber.onEvent(event);
      },
      leave: () => {
        this.members.delete(self);
      },
    };
  }
}
