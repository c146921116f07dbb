import { useRef, useState } from 'preact/hooks';
import { Field, FormError, formErrors, noErrors, problemText, type FormErrors } from '../ui.js';

/**
 * A submit handler with its busy flag and its error: runs `action`, and on a throw shows
 * `errorOf` what was thrown (`none` until then and while a retry runs).
 */
function useSubmit<E>(action: () => Promise<void>, errorOf: (caught: unknown) => E, none: E): { busy: boolean; error: E; submit: (event: Event) => Promise<void> } {
  const [error, setError] = useState<E>(none);
  const [busy, setBusy] = useState(false);
  // A second submit (Enter again) while the first runs is dropped: the button stays focusable.
  const running = useRef(false);
  async function submit(event: Event) {
    event.preventDefault();
    if (running.current) return;
    running.current = true;
    setBusy(true);
    setError(none);
    try {
      await action();
    } catch (caught) {
      setError(errorOf(caught));
    } finally {
      running.current = false;
      setBusy(false);
    }
  }
  return { busy, error, submit };
}

/**
 * A form's submit handler with its busy flag and errors: runs `action`, and puts what the server
 * refused next to the named `fields` (the rest beside the submit button).
 */
export function useFormSubmit(fields: string[], action: () => Promise<void>): { busy: boolean; errors: FormErrors; submit: (event: Event) => Promise<void> } {
  const { busy, error, submit } = useSubmit(action, (caught) => formErrors(caught, { fields }), noErrors);
  return { busy, errors: error, submit };
}

/**
 * A confirmation form's submit handler (revoke, cancel) with its busy flag and one error: runs
 * `action`; on a refusal, `onRefusal` may act on it and give the text to show instead of the
 * server's problem (detail and code).
 */
export function useConfirmSubmit(
  action: () => Promise<void>,
  onRefusal?: (caught: unknown) => string | undefined,
): { busy: boolean; error: string | undefined; submit: (event: Event) => Promise<void> } {
  return useSubmit<string | undefined>(action, (caught) => onRefusal?.(caught) ?? problemText(caught), undefined);
}

/** A labelled <select> over [text, value] choices, with its error below it. */
export function SelectField({
  label,
  name,
  error,
  choices,
  value,
  onChange,
}: {
  label: string;
  name: string;
  error: string | undefined;
  choices: ReadonlyArray<readonly [text: string, value: string]>;
  value: string;
  onChange: (value: string) => void;
}) {
  return (
    <Field label={label} name={name} error={error}>
      {(a) => (
        <select {...a} value={value} onChange={(e) => onChange(e.currentTarget.value)}>
          {choices.map(([text, choice]) => (
            <option key={choice} value={choice}>
              {text}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

/**
 * A form's submit button (showing `busyLabel` while it works), an optional Cancel (`cancelLabel`
 * where "Cancel" would be ambiguous, as when the action is itself a cancellation), and the form-wide error.
 */
export function FormActions({
  label,
  busyLabel,
  busy = false,
  danger = false,
  secondary = false,
  cancel,
  cancelLabel = 'Cancel',
  error,
}: {
  label: string;
  busyLabel?: string;
  busy?: boolean;
  danger?: boolean;
  /** A submit of lesser weight than the page's main one (the compatibility mode's). */
  secondary?: boolean;
  cancel?: () => void;
  cancelLabel?: string;
  error: string | undefined;
}) {
  return (
    <div class="form-actions">
      <BusyButton busy={busy} class={danger ? 'danger' : secondary ? 'secondary' : undefined} label={label} busyLabel={busyLabel ?? label} />
      {cancel !== undefined && (
        <button type="button" class="secondary" onClick={cancel}>
          {cancelLabel}
        </button>
      )}
      <FormError message={error} />
    </div>
  );
}

const EXPIRIES: Array<[string, number | undefined]> = [
  ['never', undefined],
  ['in 30 days', 30],
  ['in 90 days', 90],
  ['in 1 year', 365],
];

/** The expiry choices of a new key, told apart by their text (never has no number of days). */
export const EXPIRY_CHOICES = EXPIRIES.map(([text]) => [text, text] as const);

/** The `expires_at` of a request body for one of EXPIRY_CHOICES: none for never. */
export function expiresAtField(choice: string): { expires_at?: string } {
  const days = EXPIRIES.find(([text]) => text === choice)?.[1];
  return days === undefined ? {} : { expires_at: new Date(Date.now() + days * 86_400_000).toISOString() };
}

/**
 * A submit button that says it is busy without being disabled: a disabled button drops keyboard
 * focus to <body>, so aria-disabled marks it and the form's handler ignores a submit meanwhile.
 */
export function BusyButton({ busy, label, busyLabel, class: className }: { busy: boolean; label: string; busyLabel: string; class?: string | undefined }) {
  return (
    <button type="submit" class={className} aria-disabled={busy ? 'true' : undefined} aria-busy={busy ? 'true' : undefined}>
      {busy ? busyLabel : label}
    </button>
  );
}
