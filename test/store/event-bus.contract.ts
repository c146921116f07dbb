import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventBus, InvalidationEvent } from '../../src/store/types.js';

export interface OpenedBuses {
  /** Two buses that are meant to reach each other (the same bus twice for memory; two connections for Redis). */
  a: EventBus;
  b: EventBus;
  /** Resolves once both can deliver (Redis: subscribed). */
  ready(): Promise<void>;
  close(): Promise<void>;
}

/** Waits until `received` holds `count` events, polling briefly; the caller asserts what arrived. */
export async function waitForEvents(received: InvalidationEvent[], count: number, attempts = 200): Promise<void> {
  for (let i = 0; i < attempts && received.length < count; i++) await new Promise((resolve) => setTimeout(resolve, 10));
}

/** The behaviour every EventBus shares (memory; Redis when configured). */
export function eventBusContract(engine: string, open: () => Promise<OpenedBuses>): void {
  describe(`EventBus contract on ${engine}`, () => {
    let buses: OpenedBuses;
    beforeAll(async () => {
      buses = await open();
    });
    afterAll(async () => buses?.close());

    it('delivers what one member publishes to the others, never back to the publisher', async () => {
      const heardByA: InvalidationEvent[] = [];
      const heardByB: InvalidationEvent[] = [];
      const heardByC: InvalidationEvent[] = [];
      const a = buses.a.join({ onEvent: (e) => heardByA.push(e) });
      const b = buses.b.join({ onEvent: (e) => heardByB.push(e) });
      const c = buses.b.join({ onEvent: (e) => heardByC.push(e) });
      await buses.ready();
      try {
        await a.publish({ kind: 'key', id: 'key_1' });
        await b.publish({ kind: 'consumer', id: 'con_1' });
        await waitForEvents(heardByB, 1);
        await waitForEvents(heardByA, 1);
        await waitForEvents(heardByC, 2);
        expect(heardByB).toEqual([{ kind: 'key', id: 'key_1' }]);
        expect(heardByA).toEqual([{ kind: 'consumer', id: 'con_1' }]);
        expect(heardByC).toEqual(
          expect.arrayContaining([
            { kind: 'key', id: 'key_1' },
            { kind: 'consumer', id: 'con_1' },
          ]),
        );
        expect(heardByC).toHaveLength(2);
      } finally {
        a.leave();
        b.leave();
        c.leave();
      }
    });

    it('stops delivering to a member that left', async () => {
      const heard: InvalidationEvent[] = [];
      const control: InvalidationEvent[] = [];
      const gone = buses.b.join({ onEvent: (e) => heard.push(e) });
      const staying = buses.b.join({ onEvent: (e) => control.push(e) });
      const publisher = buses.a.join({ onEvent: () => undefined });
      await buses.ready();
      gone.leave();
      try {
        await publisher.publish({ kind: 'all' });
        await waitForEvents(control, 1);
        expect(control).toEqual([{ kind: 'all' }]);
        expect(heard).toEqual([]);
      } finally {
        staying.leave();
        publisher.leave();
      }
    });
  });
}
