import type { Knex } from 'knex';
import type { ReplayHighWater } from './types.js';

/** The replay high-water mark in its one-row table (migration 006). */
export class KnexReplayHighWater implements ReplayHighWater {
  constructor(private readonly db: Knex) {}

  async raise(untilMs: number): Promise<void> {
    // A conditional update, so concurrent instances can only move the mark forward.
    await this.db('replay_high_water')
      .where({ id: 1 })
      .andWhere((query) => query.whereNull('accepted_until').orWhere('accepted_until', '<', untilMs))
      .update({ accepted_until: untilMs });
  }

  async read(): Promise<number | undefined> {
    const row = (await this.db('replay_high_water').where({ id: 1 }).first('accepted_until')) as { accepted_until: string | number | null } | undefined;
    return row?.accepted_until === null || row?.accepted_until === undefined ? undefined : Number(row.accepted_until);
  }
}
