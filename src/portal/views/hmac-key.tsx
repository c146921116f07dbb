import { useId, useState } from 'preact/hooks';
import { OneTimeDownloadActions, useFocusOnShow } from '../download.js';
import type { ViewProps, WhoAmI } from '../session.js';
import { CopyBlock, Field, Notice, useLoad } from '../ui.js';
import { EXPIRY_CHOICES, FormActions, SelectField, expiresAtField, useFormSubmit } from './form-parts.js';
import type { KeyView } from './keys.js';

/** What POST /v1/keys/hmac answers: the key, and its secret, which the server never shows again. */
interface IssuedHmacKey {
  key: KeyView;
  secret: string;
}

/** The name the CLI's `keys add-hmac` gives its secret file, with the portal's `signet-` prefix. */
export function hmacSecretFileName(kid: string): string {
  return `signet-${kid}.secret`;
}

/**
 * The compatibility mode, kept secondary: the server makes the secret and shows it once. The
 * secret lives only in this component's state until the panel closes; it is never stored, logged
 * or sent anywhere.
 */
export function HmacKeySection(props: ViewProps & { reload: () => void }) {
  const [issued, setIssued] = useState<IssuedHmacKey | undefined>(undefined);
  const [label, setLabel] = useState('');
  const [expiry, setExpiry] = useState<string>('never');
  const { busy, errors, submit } = useFormSubmit(['label', 'expires_at'], async () => {
    const answer = await props.api.call<IssuedHmacKey>('POST', '/v1/keys/hmac', {
      json: {
        ...(label.trim() !== '' ? { label: label.trim() } : {}),
        ...expiresAtField(expiry),
      },
    });
    setIssued(answer);
    setLabel('');
    setExpiry('never');
    props.reload();
  });

  // Offered only to a consumer an admin allowed the hmac mode; the server refuses the others anyway.
  const me = useLoad(() => props.api.call<WhoAmI>('GET', '/v1/whoami'), [props.api]);

  if (issued !== undefined) return <HmacSecretPanel issued={issued} onClose={() => setIssued(undefined)} />;
  if (me.data?.allowed_modes?.includes('hmac') !== true) return null;
  return (
    <section class="card" aria-labelledby="add-hmac-heading">
      <h2 id="add-hmac-heading">Add an HMAC key (compatibility mode)</h2>
      <p class="muted">
        Only for a client that cannot sign with Ed25519. The server makes the secret, keeps it encrypted, and shows it here once. Your consumer must allow the hmac mode (an admin sets it).
      </p>
      <form class="row-form" onSubmit={submit} data-testid="add-hmac-key-form">
        <Field label="Label" name="label" error={errors.fields.label}>
          {(a) => <input {...a} type="text" value={label} maxLength={100} placeholder="e.g. legacy-device" onInput={(e) => setLabel(e.currentTarget.value)} />}
        </Field>
        <SelectField label="Expires" name="expires_at" error={errors.fields.expires_at} choices={EXPIRY_CHOICES} value={expiry} onChange={setExpiry} />
        <FormActions label="Add HMAC key" busyLabel="Adding…" busy={busy} secondary error={errors.form} />
      </form>
    </section>
  );
}

/** The one chance to save an HMAC secret: a download of the CLI's secret-file format (the secret on one line), and a copy block. */
function HmacSecretPanel({ issued, onClose }: { issued: IssuedHmacKey; onClose: () => void }) {
  const headingId = useId();
  const kid = issued.key.id;
  const file = hmacSecretFileName(kid);
  const panel = useFocusOnShow(kid);
  return (
    <section class="card download" aria-labelledby={headingId} data-testid="hmac-secret-panel" tabIndex={-1} ref={panel}>
      <h2 id={headingId}>HMAC key issued: save its secret now</h2>
      <p>
        This is the only time the secret of <code>{kid}</code> is shown. Store it in a file with mode 0600 or a secret manager.
      </p>
      <Notice kind="warn">
        Unlike an Ed25519 key, the server holds this secret (encrypted under its master key): a leak of the database together with the master key would let someone sign as this consumer. The
        comparison of the two modes is in <code>docs/modes.md</code> of the Signet docs.
      </Notice>
      <CopyBlock label="HMAC secret" text={issued.secret} />
      <OneTimeDownloadActions text={issued.secret + '\n'} type="text/plain" file={file} onClose={onClose} />
      <p class="hint">
        The file holds the secret on one line, as <code>signet keys add-hmac --secret-out</code> writes it: the <code>signet</code> CLI loads it as a key file (<code>chmod 600 {file}</code>).
      </p>
    </section>
  );
}
