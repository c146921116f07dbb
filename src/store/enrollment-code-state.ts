import type { Knex } from 'knex';
import type { EnrollmentCodeRecord, EnrollmentCodeState } from './types.js';

/**
 * Where a code stands at `nowMs`. Cancellation wins over expiry (an admin may cancel an expired
 * code); a used code cannot be cancelled, nor a cancelled one used. A code works while
 * `nowMs < expiresAt`, as the consume in KnexEnrollmentStore.enroll checks.
 */
export function enrollmentCodeState(code: Pick<EnrollmentCodeRecord, 'cancelledAt' | 'usedAt' | 'expiresAt'>, nowMs: number): EnrollmentCodeState {
  if (code.cancelledAt !== null) return 'cancelled';
  if (code.usedAt !== null) return 'used';
  if (code.expiresAt <= nowMs) return 'expired';
  return 'pending';
}

/** The same rule as enrollmentCodeState, as a filter on enrollment_codes rows. */
export function whereEnrollmentCodeState(query: Knex.QueryBuilder, state: EnrollmentCodeState, nowMs: number): Knex.QueryBuilder {
  switch (state) {
    case 'cancelled':
      return query.whereNotNull('cancelled_at');
    case 'used':
      return query.whereNull('cancelled_at').whereNotNull('used_at');
    case 'expired':
      return query.whereNull('cancelled_at').whereNull('used_at').where('expires_at', '<=', nowMs);
    case 'pending':
      return query.whereNull('cancelled_at').whereNull('used_at').where('expires_at', '>', nowMs);
  }
}
