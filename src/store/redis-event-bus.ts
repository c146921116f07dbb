import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { redisUnavailable } from './redis-connection.js';
import type { BusMember, EventBus, EventSubscriber, InvalidationEvent } from './types.js';

export interface RedisEventBusOptions {
  /** The command connection, for PUBLISH. */
  publisher: Redis;
  /** A connection of its own, in subscriber mode (it can run no other command). */
  subscriber: Redis;
  /** Key prefix shared by every instance (SIGNET_REDIS_PREFIX); the channel is PREFIX + "events". */
  prefix: string;
  onError?(error: unknown): void;
}

interface Message {
  /** The bus (process) that published: its own members heard the event when it was published. */
  from: string;
  event: InvalidationEvent;
}

interface Member {
  id: string;
  subscriber: EventSubscriber;
}

/**
 * Redis pub/sub between instances. Pub/sub keeps no history, so the bus tracks whether its
 * subscription is live: while it is not (Redis down, reconnecting, resubscribing), members are
 * told they are deaf, and they are told again once the subscription is confirmed. The
 * subscription is renewed by hand after every reconnect (ioredis' own resubscribe gives no
 * signal when it has completed).
 */
export class RedisEventBus implements EventBus {
  private readonly members = new Map<string, Member>();
  private readonly id = randomBytes(9).toString('base64url');
  private readonly channel: string;
  private listening = false;
  /** A publish failed: once the connection is back, everyone is told to drop everything. */
  private owesFlush = false;

  constructor(private readonly options: RedisEventBusOptions) {
    this.channel = `${options.prefix}events`;
    const { subscriber, publisher } = options;
    subscriber.on('message', (channel: string, text: string) => {
      if (channel === this.channel) this.deliver(text);
    });
    subscriber.on('ready', () => void this.subscribe());
    subscriber.on('close', () => this.setListening(false));
    publisher.on('ready', () => void this.payFlush());
    if (subscriber.status === 'ready') void this.subscribe();
  }

  join(subscriber: EventSubscriber): BusMember {
    const id = randomBytes(9).toString('base64url');
    const member = { id, subscriber };
    this.members.set(id, member);
    const listening = () => this.listening;
    return {
      get deaf() {
        return !listening();
      },
      publish: (event) => this.publish(id, event),
      leave: () => {
        this.members.delete(id);
      },
    };
  }

  private async publish(from: string, event: InvalidationEvent): Promise<void> {
    // Members in this process hear it at once, as with the memory bus.
    for (const member of this.members.values()) if (member.id !== from) member.subscriber.onEvent(event);
    try {
      await this.options.publisher.publish(this.channel, JSON.stringify({ from: this.id, event } satisfies Message));
    } catch (error) {
      this.owesFlush = true;
      throw redisUnavailable('The event bus (Redis)', error);
    }
  }

  private async payFlush(): Promise<void> {
    if (!this.owesFlush) return;
    try {
      await this.options.publisher.publish(this.channel, JSON.stringify({ from: this.id, event: { kind: 'all' } } satisfies Message));
      this.owesFlush = false;
    } catch (error) {
      this.options.onError?.(error);
    }
  }

  private async subscribe(): Promise<void> {
    try {
      await this.options.subscriber.subscribe(this.channel);
      this.setListening(true);
    } catch (error) {
      // The next 'ready' tries again.
      this.options.onError?.(error);
    }
  }

  private setListening(listening: boolean): void {
    if (this.listening === listening) return;
    this.listening = listening;
    for (const member of this.members.values()) member.subscriber.onDeaf?.(!listening);
  }

  private deliver(text: string): void {
    let message: Message;
    try {
      message = JSON.parse(text) as Message;
    } catch {
      return;
    }
    const event = message.event;
    if (message.from === this.id || !isEvent(event)) return;
    for (const member of this.members.values()) member.subscriber.onEvent(event);
  }
}

function isEvent(value: unknown): value is InvalidationEvent {
  const e = value as Partial<{ kind: unknown; id: unknown }> | null;
  if (e === null || typeof e !== 'object') return false;
  if (e.kind === 'all') return true;
  return (e.kind === 'key' || e.kind === 'consumer') && typeof e.id === 'string';
}
