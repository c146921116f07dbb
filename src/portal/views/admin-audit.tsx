import { useState } from 'preact/hooks';
import type { ViewProps } from '../session.js';
import { LoadError, Time, useLoad } from '../ui.js';
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

/** Consumer names by id, for the log's id columns (the first 200 consumers; others show their id only). */
async function consumerNames(api: ViewProps['api']): Promise<Map<string, string>> {
  const page = await api.call<{ items: Array<{ id: string; name: string }> }>('GET', '/admin/v1/consumers', { query: { limit: 200 } });
  return new Map(page.items.map((c) => [c.id, c.name]));
}

/** An id with the name it stands for, when known. */
function Named({ id, names }: { id: string; names: Map<string, string> | undefined }) {
  const name = names?.get(id);
  return (
    <>
      {name !== undefined && <span class="id-name">{name} </span>}
      <code class="id">{id}</code>
    </>
  );
}

/** Admin: the append-only audit log, newest first, filtered by action and consumer. */
export function AdminAuditView({ api }: ViewProps) {
  const [action, setAction] = useState('');
  const [consumer, setConsumer] = useState('');
  const [applied, setApplied] = useState({ action: '', consumer: '' });
  const [entries, setEntries] = useState<AuditEntry[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [moreError, setMoreError] = useState<unknown>(undefined);
  // The server's list of actions, so the filter never falls behind what the log can hold.
  const actions = useLoad(() => api.call<{ items: string[] }>('GET', '/admin/v1/audit/actions'), [api]);
  const names = useLoad(() => consumerNames(api), [api]);
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
            {(actions.data?.items ?? []).map((a) => (
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
      <LoadError error={first.error ?? actions.error} />
      <div class="table-wrap">
        <table data-testid="audit-table">
          <thead>
            <tr>
              <th scope="col">Time</th>
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
                <td>
                  <Time iso={e.at} />
                </td>
                <td>
                  <code>{e.action}</code>
                </td>
                <td>
                  <Named id={e.target.id} names={names.data} />
                </td>
                <td>
                  <code>{e.actor}</code>
                </td>
                <td>{e.consumer_id === null ? '—' : <Named id={e.consumer_id} names={names.data} />}</td>
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
