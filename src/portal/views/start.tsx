import { useState } from 'preact/hooks';
import { ENROLLMENT_CODE_PREFIX, looksLikeEnrollmentCode } from '../../protocol/secret-formats.js';
import { ApiError, type PortalApi } from '../api.js';
import { kidFromCliConfig, kidFromFileName, loadKeyFile, newKeyPair } from '../new-key.js';
import type { Route } from '../route.js';
import type { Identity, PendingDownload, WhoAmI } from '../session.js';
import { Field, FormError, formErrors, noErrors, type FormErrors } from '../ui.js';
import { BusyButton } from './form-parts.js';

interface StartProps {
  api: PortalApi;
  route: Route;
  onEnrolled: (identity: Identity, download: PendingDownload) => Promise<void>;
  onSignedIn: (identity: Identity) => Promise<void>;
}

interface EnrollAnswer {
  consumer_id: string;
  consumer_name: string;
  key: { id: string; scopes: string[]; label: string | null };
}

/** Not signed in: enroll with a one-time code, or sign with a key file you already have. */
export function StartView(props: StartProps) {
  return (
    <div class="start">
      <section class="intro">
        <h1>Get API credentials in your browser</h1>
        <p>
          Your browser makes an Ed25519 key pair. Only the public key is sent to the server; you download the private key and this browser keeps a copy that can sign but can never be read out. Every
          request the portal makes is signed with it: there are no passwords or cookies.
        </p>
      </section>
      <div class="grid-2">
        <EnrollForm {...props} />
        <KeyFileForm {...props} />
      </div>
    </div>
  );
}

function EnrollForm({ api, route, onEnrolled }: StartProps) {
  const [code, setCode] = useState(() => route.params.get('code') ?? '');
  const [label, setLabel] = useState('browser');
  const [errors, setErrors] = useState<FormErrors>(noErrors);
  const [busy, setBusy] = useState(false);

  async function submit(event: Event) {
    event.preventDefault();
    if (busy) return;
    const trimmed = code.trim();
    if (!looksLikeEnrollmentCode(trimmed)) {
      setErrors({ fields: { code: `Paste the whole code you were given: it starts with ${ENROLLMENT_CODE_PREFIX}.` } });
      return;
    }
    setBusy(true);
    setErrors(noErrors);
    try {
      const key = await newKeyPair();
      const answer = await api.enroll<EnrollAnswer>({ code: trimmed, label: label.trim() }, key.signing);
      const identity: Identity = {
        kid: answer.key.id,
        consumerId: answer.consumer_id,
        consumerName: answer.consumer_name,
        scopes: answer.key.scopes,
        label: answer.key.label,
        key: key.signing,
        stored: true,
      };
      await onEnrolled(identity, { kid: answer.key.id, pem: key.pem, reason: 'enrolled' });
    } catch (error) {
      setErrors(formErrors(error, { fields: ['code', 'label'], codes: { invalid_enrollment_code: 'code', consumer_disabled: 'code' } }));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section class="card" aria-labelledby="enroll-heading">
      <h2 id="enroll-heading">Enroll with a code</h2>
      <p class="muted">Your API provider gave you a one-time enrollment code.</p>
      <form onSubmit={submit} noValidate data-testid="enroll-form">
        <Field label="Enrollment code" name="code" error={errors.fields.code}>
          {(a) => <input {...a} type="text" value={code} autocomplete="off" spellcheck={false} placeholder={`${ENROLLMENT_CODE_PREFIX}…`} required onInput={(e) => setCode(e.currentTarget.value)} />}
        </Field>
        <Field label="Key label" name="label" error={errors.fields.label} hint="A name for this key in your key list, e.g. the machine it is for.">
          {(a) => <input {...a} type="text" value={label} maxLength={100} onInput={(e) => setLabel(e.currentTarget.value)} />}
        </Field>
        <div class="form-actions">
          <BusyButton busy={busy} label="Create my key and enroll" busyLabel="Creating your key…" />
          <FormError message={errors.form} />
        </div>
      </form>
    </section>
  );
}

function KeyFileForm({ api, onSignedIn }: StartProps) {
  const [file, setFile] = useState<File | undefined>(undefined);
  const [kid, setKid] = useState('');
  const [keep, setKeep] = useState(false);
  const [errors, setErrors] = useState<FormErrors>(noErrors);
  const [busy, setBusy] = useState(false);

  function choose(chosen: File | undefined) {
    setFile(chosen);
    const found = chosen === undefined ? undefined : kidFromFileName(chosen.name);
    if (found !== undefined && kid === '') setKid(found);
  }

  /** `signet admin init` names its key file after the profile, not the kid: the kid is in the CLI's config file. */
  async function chooseConfig(chosen: File | undefined) {
    if (chosen === undefined) return;
    const found = kidFromCliConfig(await chosen.text(), file?.name);
    if (found !== undefined) {
      setKid(found);
      setErrors(noErrors);
    } else setErrors({ fields: { cli_config: `No profile in ${chosen.name} names ${file === undefined ? 'a key id' : `the key file ${file.name}`}: type the key id instead.` } });
  }

  async function submit(event: Event) {
    event.preventDefault();
    if (busy) return;
    const fields: Record<string, string> = {};
    if (file === undefined) fields.key_file = 'Choose your private key file.';
    if (!/^key_[A-Za-z0-9]+$/.test(kid.trim())) fields.kid = 'Enter the key id the server issued for this key: it starts with key_.';
    if (Object.keys(fields).length > 0) return setErrors({ fields });
    setBusy(true);
    setErrors(noErrors);
    try {
      let pair;
      try {
        pair = await loadKeyFile(await file!.text());
      } catch (error) {
        return setErrors({ fields: { key_file: (error as Error).message } });
      }
      const candidate = api.withKey({ kid: kid.trim(), privateKey: pair.privateKey });
      let me: WhoAmI;
      try {
        me = await candidate.call<WhoAmI>('GET', '/v1/whoami');
      } catch (error) {
        if (error instanceof ApiError && error.status === 401) {
          const why = error.code === 'invalid_token' ? 'This key id and key file do not belong together, or the key id is unknown.' : error.detail;
          return setErrors({ fields: { kid: `${why} (${error.code})` } });
        }
        throw error;
      }
      await onSignedIn({ kid: me.key_id, consumerId: me.consumer_id, consumerName: me.consumer_name, scopes: me.scopes, label: null, key: pair, stored: keep });
    } catch (error) {
      setErrors(formErrors(error, { fields: [] }));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section class="card" aria-labelledby="keyfile-heading">
      <h2 id="keyfile-heading">Sign in with a key file</h2>
      <p class="muted">
        Admins and developers with a key already: the file is read by this page and <strong>never uploaded</strong>; it signs each request here.
      </p>
      <form onSubmit={submit} noValidate data-testid="keyfile-form">
        <Field label="Private key file" name="key_file" error={errors.fields.key_file} hint="PEM, JWK or OpenSSH, e.g. from signet keygen or signet admin init.">
          {(a) => <input {...a} type="file" accept=".pem,.key,.json,.jwk,text/plain" onChange={(e) => choose(e.currentTarget.files?.[0])} />}
        </Field>
        <Field
          label="Key id"
          name="kid"
          error={errors.fields.kid}
          hint={
            <>
              The kid the server issued; <code>signet profile show</code> prints it.
            </>
          }
        >
          {(a) => <input {...a} type="text" value={kid} autocomplete="off" spellcheck={false} placeholder="key_…" onInput={(e) => setKid(e.currentTarget.value)} />}
        </Field>
        <Field
          label="CLI config file (optional)"
          name="cli_config"
          error={errors.fields.cli_config}
          hint={
            <>
              Fills in the kid from <code>~/.config/signet/config.json</code>, as <code>signet admin init</code> writes it; read here, never uploaded.
            </>
          }
        >
          {(a) => <input {...a} type="file" accept=".json,application/json" onChange={(e) => void chooseConfig(e.currentTarget.files?.[0])} />}
        </Field>
        <div class="field checkbox">
          <input id="keep-key" type="checkbox" checked={keep} onChange={(e) => setKeep(e.currentTarget.checked)} />
          <label for="keep-key">Keep this key in this browser (stored non-extractable; forget it with "Forget this key")</label>
        </div>
        <div class="form-actions">
          <BusyButton busy={busy} label="Use this key" busyLabel="Checking…" />
          <FormError message={errors.form} />
        </div>
      </form>
    </section>
  );
}
