import { Fragment } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, type PortalApi } from '../api.js';
import { formatTime } from '../format.js';
import { CopyBlock, LoadError } from '../ui.js';
import type { ConsumerView } from './admin-consumers.js';
import { FormActions, SelectField, useConfirmSubmit, useFormSubmit } from './form-parts.js';
import { IdCell, PanelRow, StatusCell, TableHead } from './table-parts.js';

/** An enrollment code as the admin API lists it: never the code itself, which only its creation answer shows. */
interface EnrollmentCodeView {
  id: string;
  consumer_id: string;
  state: 'pending' | 'used' | 'expired' | 'cancelled';
  scopes: string[];
  created_by: string;
  created_at: string;
  expires_at: string;
  used_at: string | null;
  used_key_id: string | null;
  cancelled_at: string | null;
}

interface CodePage {
  items: EnrollmentCodeView[];
  next_cursor: string | null;
}

interface CodeAnswer {
  code: string;
  id: string;
  expires_at: string;
  scopes: string[];
}

const PAGE_SIZE = 50;

/** [text, seconds] choices for how long an enrollment code works. */
const CODE_TTLS: Array<[string, string]> = [
  ['1 hour', '3600'],
  ['24 hours', '86400'],
  ['7 days', String(7 * 86_400)],
];

const STATES: Array<[string, string]> = [
  ['all', ''],
  ['pending', 'pending'],
  ['used', 'used'],
  ['expired', 'expired'],
  ['cancelled', 'cancelled'],
];

/** A used code cannot be withdrawn (its key exists: revoke that); an expired one can, to record it was. */
function cancellable(code: EnrollmentCodeView): boolean {
  return code.state === 'pending' || code.state === 'expired';
}

/** One consumer's enrollment codes: a form to create one, and the codes it has had, each pending one cancellable. */
export function EnrollmentCodesPanel({ api, consumer, origin }: { api: PortalApi; consumer: ConsumerView; origin: string }) {
  const [state, setState] = useState('');
  const list = useCodePages(api, consumer.id, state);
  const [confirming, setConfirming] = useState<string | undefined>(undefined);

  return (
    <div class="stack">
      <EnrollmentCodeForm api={api} consumer={consumer} origin={origin} created={list.reload} />
      <section aria-label={`Enrollment codes of ${consumer.name}`} data-testid="enrollment-codes">
        <div class="card-head">
          <h2>Enrollment codes of {consumer.name}</h2>
          <div class="toolbar">
            <label class="inline-label">
              State{' '}
              <select value={state} onChange={(e) => setState(e.currentTarget.value)}>
                {STATES.map(([text, value]) => (
                  <option key={value} value={value}>
                    {text}
                  </option>
                ))}
              </select>
            </label>
            <button type="button" class="secondary small" onClick={list.reload}>
              Refresh
            </button>
          </div>
        </div>
        <LoadError error={list.error} />
        {list.codes.length > 0 && (
          <div class="table-wrap">
            <table class="compact" data-testid="enrollment-codes-table">
              <TableHead columns={['Code id', 'State', 'Created', 'Created by', 'Expires', 'Used or cancelled', 'Enrolled key']} />
              <tbody>
                {list.codes.map((code) => (
                  <Fragment key={code.id}>
                    <CodeRow code={code} confirming={confirming === code.id} toggle={() => setConfirming(confirming === code.id ? undefined : code.id)} />
                    {confirming === code.id && (
                      <PanelRow columns={8}>
                        <CancelCodeForm api={api} code={code} done={() => (setConfirming(undefined), list.reload())} refresh={list.reload} close={() => setConfirming(undefined)} />
                      </PanelRow>
                    )}
                  </Fragment>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {list.loaded && list.codes.length === 0 && <p class="muted">{state === '' ? `No enrollment codes for ${consumer.name} yet.` : `No ${state} codes.`}</p>}
        {list.cursor !== null && (
          <p class="muted">
            Showing the {list.codes.length} oldest codes; there are more.{' '}
            <button type="button" class="secondary small" onClick={list.more}>
              More
            </button>
          </p>
        )}
      </section>
    </div>
  );
}

function CodeRow({ code, confirming, toggle }: { code: EnrollmentCodeView; confirming: boolean; toggle: () => void }) {
  const ended = code.used_at !== null ? `used ${formatTime(code.used_at)}` : code.cancelled_at !== null ? `cancelled ${formatTime(code.cancelled_at)}` : undefined;
  return (
    <tr data-code-id={code.id} data-state={code.state}>
      <IdCell id={code.id} />
      <StatusCell status={code.state} />
      <td>{formatTime(code.created_at)}</td>
      <td>
        <code>{code.created_by}</code>
        {code.scopes.includes('admin') ? (
          <strong class="warning" title="Whoever redeems this code becomes an admin">
            {' '}
            grants admin
          </strong>
        ) : null}
      </td>
      <td>{formatTime(code.expires_at)}</td>
      <td>{ended ?? <span class="muted">—</span>}</td>
      <td>{code.used_key_id !== null ? <code>{code.used_key_id}</code> : <span class="muted">—</span>}</td>
      <td class="row-actions">
        {cancellable(code) && (
          <button type="button" class="danger small" aria-expanded={confirming} onClick={toggle}>
            Cancel
          </button>
        )}
      </td>
    </tr>
  );
}

/** Asks before cancelling, as key revocation does; shows the server's refusal (a code used meanwhile) and refreshes the list then. */
function CancelCodeForm({ api, code, done, refresh, close }: { api: PortalApi; code: EnrollmentCodeView; done: () => void; refresh: () => void; close: () => void }) {
  const { busy, error, submit } = useConfirmSubmit(
    async () => {
      await api.call('POST', `/admin/v1/enrollment-codes/${code.id}/cancel`);
      done();
    },
    (caught) => {
      // A refusal means the list is out of date (used or gone meanwhile): show what the server has now.
      if (caught instanceof ApiError && (caught.status === 409 || caught.status === 404)) refresh();
      return undefined;
    },
  );
  return (
    <form class="inline-form" onSubmit={submit} aria-label={`Cancel ${code.id}`}>
      <p>
        Cancel enrollment code <code>{code.id}</code>? Whoever holds it can no longer enroll with it; it is refused like a mistyped code. This cannot be undone: create a new code if they still need
        one.
      </p>
      <FormActions label="Cancel code" busyLabel="Cancelling…" busy={busy} danger cancel={close} cancelLabel="Keep it" error={error} />
    </form>
  );
}

function EnrollmentCodeForm({ api, consumer, origin, created }: { api: PortalApi; consumer: ConsumerView; origin: string; created: () => void }) {
  const [ttl, setTtl] = useState(86_400);
  const [answer, setAnswer] = useState<CodeAnswer | undefined>(undefined);
  const { busy, errors, submit } = useFormSubmit(['ttl_seconds'], async () => {
    setAnswer(await api.call<CodeAnswer>('POST', `/admin/v1/consumers/${consumer.id}/enrollment-codes`, { json: { ttl_seconds: ttl } }));
    created();
  });

  if (answer !== undefined) {
    return (
      <div class="code-result" data-testid="enrollment-code" data-code-id={answer.id}>
        <p>
          One-time enrollment code <code>{answer.id}</code> for <strong>{consumer.name}</strong>, valid until {formatTime(answer.expires_at)}. It is shown only now (the server keeps its hash). Hand it
          over on a channel you trust.
        </p>
        <CopyBlock label="Enrollment code" text={answer.code} />
        <p>Or send the portal link with the code filled in (the part after # never reaches a server):</p>
        <CopyBlock label="Enrollment link" text={`${origin}/portal/#/enroll?code=${answer.code}`} />
        <p>Or, on their machine: </p>
        <CopyBlock label="CLI enrollment" text={`signet enroll --server ${origin} --code ${answer.code}`} />
        <button type="button" class="secondary small" onClick={() => setAnswer(undefined)}>
          Create another code
        </button>
      </div>
    );
  }
  return (
    <form class="inline-form" onSubmit={submit} aria-label={`Enrollment code for ${consumer.name}`}>
      <SelectField label="Code valid for" name="ttl_seconds" error={errors.fields.ttl_seconds} choices={CODE_TTLS} value={String(ttl)} onChange={(value) => setTtl(Number(value))} />
      <FormActions label="Create enrollment code" busyLabel="Creating…" busy={busy} error={errors.form} />
    </form>
  );
}

/**
 * A consumer's codes, a page at a time. More appends the next page; a reload walks the cursors
 * again for as many pages as are shown, so a code on a later page stays in view after a cancel.
 */
function useCodePages(api: PortalApi, consumerId: string, state: string) {
  const [pages, setPages] = useState<CodePage[] | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  // Only the latest load may set the list: a slower earlier one (another filter) must not win.
  const generation = useRef(0);

  const fetchPage = (cursor: string | undefined) => api.call<CodePage>('GET', `/admin/v1/consumers/${consumerId}/enrollment-codes`, { query: { state, limit: PAGE_SIZE, cursor } });

  async function load(pageCount: number) {
    const run = ++generation.current;
    try {
      const loaded: CodePage[] = [];
      let cursor: string | undefined;
      do {
        const page = await fetchPage(cursor);
        loaded.push(page);
        cursor = page.next_cursor ?? undefined;
      } while (cursor !== undefined && loaded.length < pageCount);
      if (run !== generation.current) return;
      setPages(loaded);
      setError(undefined);
    } catch (caught) {
      if (run === generation.current) setError(caught);
    }
  }

  // A second click while the next page is on its way must not append it twice.
  const fetchingMore = useRef(false);
  async function more() {
    const cursor = pages?.at(-1)?.next_cursor;
    if (cursor === null || cursor === undefined || fetchingMore.current) return;
    const run = generation.current;
    fetchingMore.current = true;
    try {
      const page = await fetchPage(cursor);
      if (run === generation.current) setPages((shown) => [...(shown ?? []), page]);
    } catch (caught) {
      if (run === generation.current) setError(caught);
    } finally {
      fetchingMore.current = false;
    }
  }

  useEffect(() => {
    setPages(undefined);
    void load(1);
  }, [api, consumerId, state]);

  return {
    codes: (pages ?? []).flatMap((page) => page.items),
    loaded: pages !== undefined,
    cursor: pages?.at(-1)?.next_cursor ?? null,
    error,
    more,
    reload: () => void load(Math.max(1, pages?.length ?? 1)),
  };
}
