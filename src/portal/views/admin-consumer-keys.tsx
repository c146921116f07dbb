import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import type { PortalApi } from '../api.js';
import { formatTime } from '../format.js';
import { LoadError, useLoad } from '../ui.js';
import type { ConsumerView } from './admin-consumers.js';
import { FormActions, useConfirmSubmit } from './form-parts.js';
import type { KeyView } from './keys.js';
import { IdCell, KeyLabel, PanelRow, StatusCell, TableHead } from './table-parts.js';

/** Admin: one consumer's keys, each revocable after a confirmation, as on the developer's own page. */
export function ConsumerKeys({ api, consumer }: { api: PortalApi; consumer: ConsumerView }) {
  const keys = useLoad(() => api.call<{ items: KeyView[] }>('GET', `/admin/v1/consumers/${consumer.id}/keys`), [api, consumer.id]);
  const [confirming, setConfirming] = useState<string | undefined>(undefined);
  return (
    <div>
      <LoadError error={keys.error} />
      {keys.data !== undefined && keys.data.items.length === 0 && <p class="muted">No keys yet: {consumer.name} has not enrolled.</p>}
      {keys.data !== undefined && keys.data.items.length > 0 && (
        <table class="compact">
          <TableHead columns={['Label', 'Key id', 'Status', 'Last used']} />
          <tbody>
            {keys.data.items.map((k) => (
              <Fragment key={k.id}>
                <tr data-kid={k.id}>
                  <td>
                    <KeyLabel label={k.label} />
                  </td>
                  <IdCell id={k.id} />
                  <StatusCell status={k.status} />
                  <td>{formatTime(k.last_used_at)}</td>
                  <td>
                    {k.status !== 'revoked' && (
                      <button
                        type="button"
                        class="danger small"
                        aria-expanded={confirming === k.id}
                        onClick={() => setConfirming(confirming === k.id ? undefined : k.id)}
                        aria-label={`Revoke ${k.id}`}
                      >
                        Revoke
                      </button>
                    )}
                  </td>
                </tr>
                {confirming === k.id && (
                  <PanelRow columns={5}>
                    <RevokeKeyForm api={api} consumer={consumer} kid={k.id} done={() => (setConfirming(undefined), keys.reload())} cancel={() => setConfirming(undefined)} />
                  </PanelRow>
                )}
              </Fragment>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

function RevokeKeyForm({ api, consumer, kid, done, cancel }: { api: PortalApi; consumer: ConsumerView; kid: string; done: () => void; cancel: () => void }) {
  const { busy, error, submit } = useConfirmSubmit(async () => {
    await api.call('POST', `/admin/v1/keys/${kid}/revoke`, { json: {} });
    done();
  });
  return (
    <form class="inline-form" onSubmit={submit} aria-label={`Revoke ${kid}`}>
      <p>
        Revoke <code>{kid}</code> of {consumer.name}? Requests signed with it are refused from the next one (401 key_revoked), on every instance. This cannot be undone: {consumer.name} enrolls or adds
        another key to go on.
      </p>
      <FormActions label="Revoke key" busyLabel="Revoking…" busy={busy} danger cancel={cancel} cancelLabel="Keep it" error={error} />
    </form>
  );
}
