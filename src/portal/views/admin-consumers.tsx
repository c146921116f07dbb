import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import type { PortalApi } from '../api.js';
import { formatTime } from '../format.js';
import type { ViewProps } from '../session.js';
import { Field, LoadError, Notice, problemText, useLoad } from '../ui.js';
import { ConsumerKeys } from './admin-consumer-keys.js';
import { EnrollmentCodesPanel } from './admin-enrollment-codes.js';
import { FormActions, useFormSubmit } from './form-parts.js';
import { IdCell, LoadMore, PanelRow, StatusCell, TableHead } from './table-parts.js';

export interface ConsumerView {
  id: string;
  name: string;
  status: 'active' | 'disabled';
  plan: string | null;
  created_at: string;
}

interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

interface PlansAnswer {
  default_plan: string;
  plans: Array<{ name: string; description?: string; unlimited: boolean }>;
}

type Panel = 'code' | 'keys' | 'status';

/** Admin: every consumer, a form to create one, and per consumer its enrollment codes, keys and status. */
export function AdminConsumersView({ api, identity, settings }: ViewProps) {
  const [status, setStatus] = useState('');
  const [pages, setPages] = useState<ConsumerView[][]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const first = useLoad(async () => {
    const page = await api.call<Page<ConsumerView>>('GET', '/admin/v1/consumers', { query: { status, limit: 50 } });
    setPages([page.items]);
    setCursor(page.next_cursor);
    return page;
  }, [api, status]);
  const plans = useLoad(() => api.call<PlansAnswer>('GET', '/admin/v1/plans'), [api]);
  const [open, setOpen] = useState<{ id: string; panel: Panel } | undefined>(undefined);
  const [moreError, setMoreError] = useState<unknown>(undefined);

  async function more() {
    try {
      const page = await api.call<Page<ConsumerView>>('GET', '/admin/v1/consumers', { query: { status, limit: 50, cursor: cursor ?? undefined } });
      setPages((p) => [...p, page.items]);
      setCursor(page.next_cursor);
    } catch (error) {
      setMoreError(error);
    }
  }

  const consumers = pages.flat();
  return (
    <div class="stack">
      <CreateConsumerForm api={api} plans={plans.data} created={first.reload} />
      <section class="card" aria-labelledby="consumers-heading">
        <div class="card-head">
          <h1 id="consumers-heading">Consumers</h1>
          <div class="toolbar">
            <label class="inline-label">
              Status{' '}
              <select value={status} onChange={(e) => setStatus(e.currentTarget.value)}>
                <option value="">all</option>
                <option value="active">active</option>
                <option value="disabled">disabled</option>
              </select>
            </label>
            <button type="button" class="secondary small" onClick={first.reload}>
              Refresh
            </button>
          </div>
        </div>
        <LoadError error={first.error} />
        <div class="table-wrap">
          <table data-testid="consumers-table">
            <TableHead columns={['Name', 'Consumer id', 'Status', 'Plan', 'Created']} />
            <tbody>
              {consumers.map((c) => {
                const panel = open?.id === c.id ? open.panel : undefined;
                const toggle = (p: Panel) => setOpen(panel === p ? undefined : { id: c.id, panel: p });
                return (
                  <Fragment key={c.id}>
                    <tr data-consumer={c.name}>
                      <td>
                        {c.name}
                        {c.id === identity.consumerId && <span class="badge badge-own">you</span>}
                      </td>
                      <IdCell id={c.id} />
                      <StatusCell status={c.status} />
                      <td>{c.plan ?? <span class="muted">default ({plans.data?.default_plan ?? '…'})</span>}</td>
                      <td>{formatTime(c.created_at)}</td>
                      <td class="row-actions">
                        <button type="button" class="small" aria-expanded={panel === 'code'} onClick={() => toggle('code')}>
                          Enrollment codes
                        </button>
                        <button type="button" class="secondary small" aria-expanded={panel === 'keys'} onClick={() => toggle('keys')}>
                          Keys
                        </button>
                        <button type="button" class={c.status === 'active' ? 'danger small' : 'secondary small'} aria-expanded={panel === 'status'} onClick={() => toggle('status')}>
                          {c.status === 'active' ? 'Disable' : 'Enable'}
                        </button>
                      </td>
                    </tr>
                    {panel !== undefined && (
                      <PanelRow columns={6}>
                        {panel === 'code' && <EnrollmentCodesPanel api={api} consumer={c} origin={settings.publicOrigin} />}
                        {panel === 'keys' && <ConsumerKeys api={api} consumer={c} />}
                        {panel === 'status' && <StatusForm api={api} consumer={c} done={() => (setOpen(undefined), first.reload())} cancel={() => setOpen(undefined)} />}
                      </PanelRow>
                    )}
                  </Fragment>
                );
              })}
            </tbody>
          </table>
        </div>
        {consumers.length === 0 && first.data !== undefined && <p class="muted">No consumers yet: create one above.</p>}
        <LoadMore hasMore={cursor !== null} more={more} error={moreError} />
      </section>
    </div>
  );
}

function CreateConsumerForm({ api, plans, created }: { api: PortalApi; plans: PlansAnswer | undefined; created: () => void }) {
  const [name, setName] = useState('');
  const [plan, setPlan] = useState('');
  const [done, setDone] = useState<ConsumerView | undefined>(undefined);
  const { busy, errors, submit } = useFormSubmit(['name', 'plan'], async () => {
    setDone(undefined);
    const consumer = await api.call<ConsumerView>('POST', '/admin/v1/consumers', { json: { name: name.trim(), ...(plan !== '' ? { plan } : {}) } });
    setDone(consumer);
    setName('');
    created();
  });

  return (
    <section class="card" aria-labelledby="create-consumer-heading">
      <h2 id="create-consumer-heading">Create a consumer</h2>
      <form class="row-form" onSubmit={submit} noValidate data-testid="create-consumer-form">
        <Field label="Name" name="name" error={errors.fields.name}>
          {(a) => <input {...a} type="text" value={name} maxLength={200} placeholder="e.g. Acme Corp" onInput={(e) => setName(e.currentTarget.value)} />}
        </Field>
        <Field label="Plan" name="plan" error={errors.fields.plan}>
          {(a) => (
            <select {...a} value={plan} onChange={(e) => setPlan(e.currentTarget.value)}>
              <option value="">default ({plans?.default_plan ?? '…'})</option>
              {(plans?.plans ?? []).map((p) => (
                <option key={p.name} value={p.name}>
                  {p.name}
                  {p.unlimited ? ' (unlimited)' : ''}
                </option>
              ))}
            </select>
          )}
        </Field>
        <FormActions label="Create consumer" busyLabel="Creating…" busy={busy} error={errors.form} />
      </form>
      {done !== undefined && (
        <Notice kind="ok">
          Created <strong>{done.name}</strong> (<code>{done.id}</code>). Give them an enrollment code from the list below.
        </Notice>
      )}
    </section>
  );
}

function StatusForm({ api, consumer, done, cancel }: { api: PortalApi; consumer: ConsumerView; done: () => void; cancel: () => void }) {
  const [error, setError] = useState<string | undefined>(undefined);
  const disabling = consumer.status === 'active';
  async function submit(event: Event) {
    event.preventDefault();
    try {
      await api.call('POST', `/admin/v1/consumers/${consumer.id}/${disabling ? 'disable' : 'enable'}`);
      done();
    } catch (caught) {
      setError(problemText(caught));
    }
  }
  return (
    <form class="inline-form" onSubmit={submit} aria-label={`${disabling ? 'Disable' : 'Enable'} ${consumer.name}`}>
      <p>
        {disabling
          ? `Disable ${consumer.name}? Every one of its keys is refused from the next request (403 consumer_disabled) until you enable it again.`
          : `Enable ${consumer.name}? Its active keys work again from the next request.`}
      </p>
      <FormActions label={disabling ? 'Disable consumer' : 'Enable consumer'} danger={disabling} cancel={cancel} error={error} />
    </form>
  );
}
