import { useState } from 'preact/hooks';
import { Field, FormError, formErrors, noErrors, type FormErrors } from '../ui.js';

/**
 * A form's submit handler with its busy flag and errors: runs `action`, and puts what the server
 * refused next to the named `fields` (the rest beside the submit button).
 */
export function useFormSubmit(fields: string[], action: () => Promise<void>): { busy: boolean; errors: FormErrors; submit: (event: Event) => Promise<void> } {
  const [errors, setErrors] = useState<FormErrors>(noErrors);
  const [busy, setBusy] = useState(false);
  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setErrors(noErrors);
    try {
      await action();
    } catch (error) {
      setErrors(formErrors(error, { fields }));
    } finally {
      setBusy(false);
    }
  }
  return { busy, errors, submit };
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
      <button type="submit" class={danger ? 'danger' : secondary ? 'secondary' : undefined} disabled={busy}>
        {busy ? busyLabel : label}
      </button>
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
