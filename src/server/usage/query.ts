import { z } from 'zod';
import type { UsageDimension, UsageGranularity, UsageQuery } from '../../store/types.js';
import { invalidFields } from '../validation.js';
import { GRANULARITY_MS } from './rollup.js';

const Timestamp = z.iso.datetime({ offset: true });

/** Query of GET /v1/usage; the admin route adds `consumer` and grouping by consumer. */
export const OwnUsageQuery = z.strictObject({
  from: Timestamp.optional(),
  to: Timestamp.optional(),
  granularity: z.enum(['minute', 'hour', 'day']).optional(),
  key: z.string().min(1).max(64).optional(),
  route: z.string().min(1).max(200).optional(),
  status_class: z.enum(['1xx', '2xx', '3xx', '4xx', '5xx']).optional(),
  group_by: z.enum(['key', 'route', 'status_class']).optional(),
});

export const AdminUsageQuery = OwnUsageQuery.extend({
  consumer: z.string().min(1).max(64).optional(),
  group_by: z.enum(['consumer', 'key', 'route', 'status_class']).optional(),
});

/** Default span when `from` is absent: an hour of minutes, a day of hours, 30 days. */
const DEFAULT_SPAN_MS: Record<UsageGranularity, number> = { minute: 3_600_000, hour: 86_400_000, day: 30 * 86_400_000 };
const MAX_BUCKETS = 1500;

type Parsed = z.infer<typeof AdminUsageQuery>;

/** Turns the validated query into a store query: times aligned on whole buckets, the span bounded. */
export function toStoreQuery(input: Parsed, nowMs: number): UsageQuery {
  const granularity: UsageGranularity = input.granularity ?? 'hour';
  const size = GRANULARITY_MS[granularity];
  const to = Math.ceil((input.to === undefined ? nowMs + 1 : Date.parse(input.to)) / size) * size;
  const from = Math.floor((input.from === undefined ? to - DEFAULT_SPAN_MS[granularity] : Date.parse(input.from)) / size) * size;
  if (from >= to) throw invalidFields('query', [{ path: 'from', message: 'from must be before to.' }]);
  if ((to - from) / size > MAX_BUCKETS) {
    throw invalidFields('query', [{ path: 'granularity', message: `At most ${MAX_BUCKETS} buckets per query: use a coarser granularity or a shorter span.` }]);
  }
  return {
    granularity,
    from,
    to,
    ...(input.consumer !== undefined ? { consumerId: input.consumer } : {}),
    ...(input.key !== undefined ? { keyId: input.key } : {}),
    ...(input.route !== undefined ? { route: input.route } : {}),
    ...(input.status_class !== undefined ? { statusClass: Number(input.status_class[0]) } : {}),
    ...(input.group_by !== undefined ? { groupBy: input.group_by as UsageDimension } : {}),
  };
}
