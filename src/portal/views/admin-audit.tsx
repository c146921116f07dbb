import { useState } from 'preact/hooks';
import { formatTime } from '../format.js';
import type { ViewProps } from '../session.js';
import { LoadError, useLoad } from '../ui.js';
import { LoadMore } from './table-parts.js';

interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  target: { type: string; id: string };
  consumer_id: string | null;
  request_id: string | null;
  source_ip: string | null;
  before: unknown;
  after: unknown;
}

interface Page {
  items: AuditEntry[];
  next_cursor: string | null;
}

/** The audit actions of docs/api.md, for the filter. */
const ACTIONS = [
  'consumer.create',
  'consumer.update',
  'consumer.disable',
  'consumer.enable',
  'consumer.delete',
  'key.create',
  'key.enroll',
  'key.rotate',
  'key.revoke',
  'enrollment_code.create',
  'master_key.add',
  'master_key.reencrypt',
];

/** Admin: the append-only audit log, newest first, filtered by action and consumer. */
export function AdminAuditView({ api }: ViewProps) {
  const [action, setAction] = useState('');
  const [consumer, setConsumer] = useState('');
  const [applied, setApplied] = useState({ action: '', consumer: '' });
  const [entries, setEntries] = useState<AuditEntry[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [moreError, setMoreError] = useState<unknown>(undefined);
  const query = (c?: string) => ({ action: applied.action, consumer: applied.consumer, limit: 50, cursor: c });
  const first = useLoad(async () => {
    const page = await api.call<Page>('GET', '/admin/v1/audit', { query: query() });
    setEntries(page.items);
    setCursor(page.next_cursor);
    return page;
  }, [api, applied]);

  async function more() {
    try {
      const page = await api.call<Page>('GET', '/admin/v1/audit', { query: query(cursor ?? undefined) });
      setEntries((e) => [...e, ...page.items]);
      setCursor(page.next_cursor);
    } catch (error) {
      setMoreError(error);
    }
  }

  return (
    <section class="card" aria-labelledby="audit-heading">
      <h1 id="audit-heading">Audit log</h1>
      <form
        class="row-form"
        onSubmit={(e) => {
          e.preventDefault();
          setApplied({ action, consumer: consumer.trim() });
        }}
      >
        <div class="field">
          <label for="audit-action">Action</label>
          <select id="audit-action" value={action} onChange={(e) => setAction(e.currentTarget.value)}>
            <option value="">all</option>
            {ACTIONS.map((a) => (
              <option key={a} value={a}>
                {a}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="audit-consumer">Consumer id</label>
          <input id="audit-consumer" type="text" value={consumer} placeholder="con_…" onInput={(e) => setConsumer(e.currentTarget.value)} />
        </div>
        <div class="form-actions">
          <button type="submit">Filter</button>
        </div>
      </form>
      <LoadError error={first.error} />
      <div class="table-wrap">
        <table data-testid="audit-table">
          <thead>
            <tr>
              <th scope="col">Time (UTC)</th>
              <th scope="col">Action</th>
              <th scope="col">Target</th>
              <th scope="col">Actor</th>
              <th scope="col">Consumer</th>
              <th scope="col">Details</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((e) => (
              <tr key={e.id} data-action={e.action}>
                <td>{formatTime(e.at)}</td>
                <td>
                  <code>{e.action}</code>
                </td>
                <td>
                  <code>{e.target.id}</code>
                </td>
                <td>
                  <code>{e.actor}</code>
                </td>
                <td>{e.consumer_id === null ? '—' : <code>{e.consumer_id}</code>}</td>
                <td>
                  <details>
                    <summary>before / after</summary>
                    <pre class="json">{JSON.stringify({ before: e.before, after: e.after, request_id: e.request_id, source_ip: e.source_ip }, null, 2)}</pre>
                  </details>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {entries.length === 0 && first.data !== undefined && <p class="muted">No entries match.</p>}
      <LoadMore hasMore={cursor !== null} more={more} error={moreError} />
    </section>
  );
}
