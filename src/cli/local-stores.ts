import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { systemClock } from '../clock.js';
import type { Config } from '../config.js';
import { SignetError } from '../protocol/errors.js';
import { CredentialService } from '../server/credentials/credential-service.js';
import { busInvalidation } from '../server/credentials/invalidation.js';
import { createStores, type Stores } from '../store/factory.js';
import type { InvalidationEvent } from '../store/types.js';

export interface LocalStores {
  stores: Stores;
  /** Changes go through the same service as the server's, which tells running servers (Redis) too. */
  credentials: CredentialService;
  /**
   * Whether every change so far reached the running servers through the event bus. A change is
   * committed before it is announced: a failed announcement (Redis unreachable) leaves it made,
   * and is reported here rather than thrown.
   */
  announced(): boolean;
  close(): Promise<void>;
}

/**
 * Refuses a SQLite file that does not exist: a command run outside the server's folder would
 * otherwise create an empty database beside it, report success, and leave the server unchanged.
 * Only `serve`, `migrate` and an explicit `create` make a new database.
 */
export function assertDatabaseExists(config: Pick<Config, 'db' | 'databaseUrl'>): void {
  if (config.databaseUrl !== undefined || config.db === ':memory:' || existsSync(config.db)) return;
  throw new SignetError('invalid_request', {
    detail:
      `No Signet database at ${resolve(config.db)}. Run this command where \`signet serve\` runs, or point it at the ` +
      "server's database with --db FILE or SIGNET_DB (SIGNET_DATABASE_URL for PostgreSQL); `signet migrate` creates a new one.",
  });
}

/**
 * The server's stores, opened through the same factory and settings as `signet serve`, for the
 * commands that write to the database directly. Pending migrations are applied, as the server does.
 */
export async function openLocalStores(config: Config, options: { create?: boolean } = {}): Promise<LocalStores> {
  if (options.create !== true) assertDatabaseExists(config);
  const stores = await createStores({ ...config, migrateOnStart: true }, systemClock);
  const invalidation = busInvalidation(stores.events);
  let unannounced = 0;
  const tolerant = {
    invalidate: async (event: InvalidationEvent) => {
      try {
        await invalidation.invalidate(event);
      } catch {
        unannounced++;
      }
    },
  };
  const credentials = new CredentialService({ credentials: stores.credentials, enrollment: stores.enrollment, clock: systemClock, invalidation: tolerant });
  return {
    stores,
    credentials,
    announced: () => unannounced === 0,
    close: async () => {
      invalidation.leave();
      await stores.close();
    },
  };
}
