import { useState } from 'preact/hooks';
import { ApiError } from '../api.js';
import { newKeyPair } from '../new-key.js';
import type { ViewProps } from '../session.js';
import { publicKeyToJwk } from '../../protocol/public-key.js';
import { Field, LoadError, Time, useLoad } from '../ui.js';
import { EXPIRY_CHOICES, FormActions, SelectField, expiresAtField, useConfirmSubmit, useFormSubmit } from './form-parts.js';
import { HmacKeySection } from './hmac-key.js';
import { OnboardingChecklist } from './onboarding.js';
import { IdCell, KeyLabel, PanelRow, StatusCell, TableHead } from './table-parts.js';

export interface KeyView {
  id: string;
  type: string;
  status: 'active' | 'revoked' | 'expired' | 'not_yet_valid';
  label: string | null;
  scopes: string[];
  not_before: string | null;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
  created_at: string;
}

/** [text, seconds] choices for how long a rotated key keeps working. */
const OVERLAPS: Array<[string, string]> = [
  ['1 hour', '3600'],
  ['24 hours', '86400'],
  ['7 days', String(7 * 86_400)],
  ['at once (the old key stops working now)', '0'],
];

/** Your consumer's keys: list, add, rotate, revoke. Every new key is made in this browser. */
export function KeysView(props: ViewProps) {
  const { api, identity } = props;
  const keys = useLoad(() => api.call<{ items: KeyView[] }>('GET', '/v1/keys'), [api]);
  const [open, setOpen] = useState<{ kid: string; action: 'rotate' | 'revoke' } | undefined>(undefined);

  return (
    <div class="stack">
      <OnboardingChecklist api={api} identity={identity} keys={keys.data?.items} />
      <section class="card" aria-labelledby="keys-heading">
        <div class="card-head">
          <h1 id="keys-heading">Your keys</h1>
          <button type="button" class="secondary small" onClick={keys.reload}>
            Refresh
          </button>
        </div>
        <p class="muted">
          Consumer <strong>{identity.consumerName}</strong> (<code>{identity.consumerId}</code>). Hover a time for its exact UTC time.
        </p>
        <LoadError error={keys.error} />
        {keys.data !== undefined && (
          <div class="table-wrap">
            <table data-testid="keys-table">
              <TableHead columns={['Label', 'Key id', 'Status', 'Created', 'Last used', 'Expires']} />
              <tbody>
                {keys.data.items.map((key) => (
                  <KeyRow key={key.id} item={key} props={props} open={open?.kid === key.id ? open.action : undefined} setOpen={setOpen} reload={keys.reload} />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <AddKeyForm {...props} reload={keys.reload} />
      <HmacKeySection {...props} reload={keys.reload} />
    </div>
  );
}

function KeyRow({
  item,
  props,
  open,
  setOpen,
  reload,
}: {
  item: KeyView;
  props: ViewProps;
  open: 'rotate' | 'revoke' | undefined;
  setOpen: (value: { kid: string; action: 'rotate' | 'revoke' } | undefined) => void;
  reload: () => void;
}) {
  const own = item.id === props.identity.kid;
  const usable = item.status === 'active' || item.status === 'not_yet_valid';
  return (
    <>
      <tr data-kid={item.id} class={own ? 'own' : undefined}>
        <td>
          <KeyLabel label={item.label} />
          {item.type !== 'ed25519' && <span class="badge">{item.type}</span>}
        </td>
        <IdCell id={item.id}>{own && <span class="badge badge-own">this browser</span>}</IdCell>
        <StatusCell status={item.status}>
          {/* A key on its way out (the old key of a rotation, a key given an end) says when it stops. */}
          {item.status === 'active' && item.expires_at !== null && (
            <span class="status-note" data-testid="expiring">
              {' '}
              expires <Time iso={item.expires_at} />
            </span>
          )}
        </StatusCell>
        <td>
          <Time iso={item.created_at} />
        </td>
        <td>{item.last_used_at === null ? <span class="muted">never</span> : <Time iso={item.last_used_at} />}</td>
        <td>
          {item.revoked_at !== null ? (
            <>
              revoked <Time iso={item.revoked_at} />
            </>
          ) : item.expires_at === null ? (
            <span class="muted">never</span>
          ) : (
            <Time iso={item.expires_at} />
          )}
        </td>
        <td class="row-actions">
          {usable && item.type === 'ed25519' && (
            <button type="button" class="secondary small" aria-expanded={open === 'rotate'} onClick={() => setOpen(open === 'rotate' ? undefined : { kid: item.id, action: 'rotate' })}>
              Rotate
            </button>
          )}
          {item.status !== 'revoked' && (
            <button type="button" class="danger small" aria-expanded={open === 'revoke'} onClick={() => setOpen(open === 'revoke' ? undefined : { kid: item.id, action: 'revoke' })}>
              Revoke
            </button>
          )}
        </td>
      </tr>
      {open !== undefined && (
        <PanelRow columns={7}>
          {open === 'rotate' ? (
            <RotateForm item={item} own={own} props={props} done={() => (setOpen(undefined), reload())} cancel={() => setOpen(undefined)} />
          ) : (
            <RevokeForm item={item} own={own} props={props} done={() => (setOpen(undefined), reload())} cancel={() => setOpen(undefined)} />
          )}
        </PanelRow>
      )}
    </>
  );
}

interface PanelProps {
  item: KeyView;
  own: boolean;
  props: ViewProps;
  done: () => void;
  cancel: () => void;
}

function RotateForm({ item, own, props, done, cancel }: PanelProps) {
  const [overlap, setOverlap] = useState(86_400);
  const { busy, errors, submit } = useFormSubmit(['overlap_seconds'], async () => {
    const key = await newKeyPair();
    const answer = await props.api.call<{ key: KeyView; previous: KeyView }>('POST', `/v1/keys/${item.id}/rotate`, {
      json: { public_key: publicKeyToJwk(key.signing.publicKey), overlap_seconds: overlap },
      proof: key.signing,
    });
    props.offerDownload({ kid: answer.key.id, pem: key.pem, reason: 'rotated' });
    // The portal's own key was rotated: sign with the new one from now on (the old one may stop at once).
    if (own) await props.replaceOwnKey(answer.key.id, key.signing);
    done();
  });

  return (
    <form class="inline-form" onSubmit={submit} aria-label={`Rotate ${item.id}`}>
      <p>
        A new key pair is made in this browser and uploaded with a proof that it holds the private key; <code>{item.id}</code> keeps working for the overlap you choose, then expires.
        {own ? ' This browser switches to the new key.' : ''}
      </p>
      <SelectField
        label="Old key keeps working"
        name="overlap_seconds"
        error={errors.fields.overlap_seconds}
        choices={OVERLAPS}
        value={String(overlap)}
        onChange={(value) => setOverlap(Number(value))}
      />
      <FormActions label="Rotate key" busyLabel="Rotating…" busy={busy} cancel={cancel} error={errors.form} />
    </form>
  );
}

function RevokeForm({ item, own, props, done, cancel }: PanelProps) {
  const [lastKey, setLastKey] = useState(false);
  const { busy, error, submit } = useConfirmSubmit(
    async () => {
      await props.api.call('POST', `/v1/keys/${item.id}/revoke`, { json: lastKey ? { force: true } : {} });
      if (own) {
        await props.lostOwnKey(`You revoked ${item.id}, the key this browser signed with; this browser has forgotten it.`);
        return;
      }
      done();
    },
    (caught) => {
      if (!(caught instanceof ApiError && caught.status === 409 && caught.problem.last_active_key === true)) return undefined;
      setLastKey(true);
      return `${caught.detail} Revoking it anyway locks this consumer out until an admin issues a new enrollment code.`;
    },
  );

  return (
    <form class="inline-form" onSubmit={submit} aria-label={`Revoke ${item.id}`}>
      <p>
        Revoke <code>{item.id}</code>
        {item.label !== null ? ` (${item.label})` : ''}? Every program signing with it is refused from the next request. This cannot be undone.
        {own ? ' It is the key this browser signs with: the portal will forget it.' : ''}
      </p>
      <FormActions label={lastKey ? 'Revoke my last key anyway' : 'Revoke key'} busyLabel="Revoking…" busy={busy} danger cancel={cancel} error={error} />
    </form>
  );
}

function AddKeyForm(props: ViewProps & { reload: () => void }) {
  const [label, setLabel] = useState('');
  const [expiry, setExpiry] = useState<string>('never');
  const { busy, errors, submit } = useFormSubmit(['label', 'expires_at'], async () => {
    const key = await newKeyPair();
    const created = await props.api.call<KeyView>('POST', '/v1/keys', {
      json: {
        public_key: publicKeyToJwk(key.signing.publicKey),
        ...(label.trim() !== '' ? { label: label.trim() } : {}),
        ...expiresAtField(expiry),
      },
      proof: key.signing,
    });
    props.offerDownload({ kid: created.id, pem: key.pem, reason: 'added' });
    setLabel('');
    setExpiry('never');
    props.reload();
  });

  return (
    <section class="card" aria-labelledby="add-key-heading">
      <h2 id="add-key-heading">Add a key</h2>
      <p class="muted">For another machine or program. The key pair is made here; you download the private key once.</p>
      <form class="row-form" onSubmit={submit} data-testid="add-key-form">
        <Field label="Label" name="label" error={errors.fields.label}>
          {(a) => <input {...a} type="text" value={label} maxLength={100} placeholder="e.g. ci-server" onInput={(e) => setLabel(e.currentTarget.value)} />}
        </Field>
        <SelectField label="Expires" name="expires_at" error={errors.fields.expires_at} choices={EXPIRY_CHOICES} value={expiry} onChange={setExpiry} />
        <FormActions label="Add key" busyLabel="Adding…" busy={busy} error={errors.form} />
      </form>
    </section>
  );
}
