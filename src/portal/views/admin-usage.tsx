import { useState } from 'preact/hooks';
import { formatCount } from '../format.js';
import type { ViewProps } from '../session.js';
import { useLoad } from '../ui.js';
import type { ConsumerView } from './admin-consumers.js';
import { UsageCard, type UsageSeries } from './usage-parts.js';

/** Admin: everyone's requests over time, and the busiest consumers of the span. */
export function AdminUsageView({ api }: ViewProps) {
  const [granularity, setGranularity] = useState('hour');
  const [consumer, setConsumer] = useState('');
  const consumers = useLoad(() => api.call<{ items: ConsumerView[] }>('GET', '/admin/v1/consumers', { query: { limit: 200 } }), [api]);
  const usage = useLoad(() => api.call<UsageSeries>('GET', '/admin/v1/usage', { query: { granularity, consumer, group_by: consumer === '' ? 'consumer' : 'key' } }), [api, granularity, consumer]);
  const names = new Map((consumers.data?.items ?? []).map((c) => [c.id, c.name]));
  const groupBy = usage.data?.group_by;

  return (
    <div class="stack">
      <UsageCard
        headingId="admin-usage-heading"
        heading="All usage"
        filters={
          <label class="inline-label">
            Consumer{' '}
            <select value={consumer} onChange={(e) => setConsumer(e.currentTarget.value)}>
              <option value="">everyone</option>
              {(consumers.data?.items ?? []).map((c) => (
                <option key={c.id} value={c.id}>
                  {c.name}
                </option>
              ))}
            </select>
          </label>
        }
        granularity={granularity}
        onGranularity={setGranularity}
        usage={usage}
      />
      {usage.data?.groups !== undefined && (
        <section class="card" aria-labelledby="groups-heading">
          <h2 id="groups-heading">{groupBy === 'consumer' ? 'By consumer' : 'By key'}</h2>
          {usage.data.groups.length === 0 ? (
            <p class="muted">No requests in this span.</p>
          ) : (
            <div class="table-wrap">
              <table data-testid="usage-groups">
                <thead>
                  <tr>
                    <th scope="col">{groupBy === 'consumer' ? 'Consumer' : 'Key'}</th>
                    <th scope="col" class="num">
                      Requests
                    </th>
                    <th scope="col" class="num">
                      Average latency
                    </th>
                    <th scope="col" class="num">
                      Bytes out
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {usage.data.groups.map((g) => {
                    const id = String(g[groupBy ?? 'consumer']);
                    return (
                      <tr key={id}>
                        <th scope="row">
                          {groupBy === 'consumer' && names.has(id) ? `${names.get(id)} ` : ''}
                          <code>{id}</code>
                        </th>
                        <td class="num">{formatCount(g.requests)}</td>
                        <td class="num">{g.latency_ms_avg === null ? '—' : `${g.latency_ms_avg.toFixed(1)} ms`}</td>
                        <td class="num">{formatCount(g.bytes_out)}</td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          )}
        </section>
      )}
    </div>
  );
}
