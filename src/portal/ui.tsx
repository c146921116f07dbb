import type { ComponentChildren, JSX } from 'preact';
import { useEffect, useId, useState } from 'preact/hooks';
import { ApiError } from './api.js';
import { formatTime, relativeTime } from './format.js';

/** Field errors by name, plus one for the form as a whole (shown beside its submit button). */
export interface FormErrors {
  fields: Record<string, string>;
  form?: string;
}

export const noErrors: FormErrors = { fields: {} };

/**
 * Puts an API error next to what caused it: a field of this form that the server named by its
 * path, or the field an error code belongs to (a refused enrollment code, a refused public key);
 * anything else goes beside the submit button.
 */
export function formErrors(error: unknown, form: { fields: string[]; codes?: Record<string, string> }): FormErrors {
  if (!(error instanceof ApiError)) return { fields: {}, form: error instanceof Error ? error.message : String(error) };
  const fields: Record<string, string> = {};
  const rest: string[] = [];
  for (const [path, message] of Object.entries(error.fields)) {
    if (form.fields.includes(path)) fields[path] = message;
    else rest.push(path === '' ? message : `${path}: ${message}`);
  }
  const byCode = form.codes?.[error.code];
  if (byCode !== undefined && fields[byCode] === undefined) fields[byCode] = error.detail;
  if (Object.keys(fields).length === 0) return { fields, form: error.detail };
  return rest.length > 0 ? { fields, form: rest.join(' ') } : { fields };
}

interface FieldProps {
  label: string;
  name: string;
  error?: string | undefined;
  hint?: ComponentChildren;
  children: (props: { id: string; name: string; 'aria-invalid': boolean; 'aria-describedby'?: string }) => JSX.Element;
}

/** A labelled control with its hint and its error right below it, tied together for screen readers. */
export function Field({ label, name, error, hint, children }: FieldProps) {
  const id = useId();
  const described = [hint !== undefined ? `${id}-hint` : '', error !== undefined ? `${id}-error` : ''].filter(Boolean).join(' ');
  return (
    <div class={error !== undefined ? 'field has-error' : 'field'}>
      <label for={id}>{label}</label>
      {children({ id, name, 'aria-invalid': error !== undefined, ...(described !== '' ? { 'aria-describedby': described } : {}) })}
      {hint !== undefined && (
        <p class="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {error !== undefined && (
        <p class="error" id={`${id}-error`} role="alert" data-field={name}>
          {error}
        </p>
      )}
    </div>
  );
}

export function FormError({ message }: { message: string | undefined }) {
  if (message === undefined) return null;
  return (
    <p class="error form-error" role="alert">
      {message}
    </p>
  );
}

export function Notice({ kind = 'info', children, onClose }: { kind?: 'info' | 'ok' | 'warn' | 'error'; children: ComponentChildren; onClose?: () => void }) {
  return (
    <div class={`notice notice-${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      <div class="notice-body">{children}</div>
      {onClose !== undefined && (
        <button type="button" class="link" onClick={onClose} aria-label="Dismiss">
          ×
        </button>
      )}
    </div>
  );
}

/** Text to copy, with a button that copies it (or selects it where the clipboard is not allowed). */
export function CopyBlock({ text, label }: { text: string; label: string }) {
  const [copied, setCopied] = useState(false);
  const id = useId();
  async function copy() {
    try {
      await navigator.clipboard.writeText(text);
      setCopied(true);
    } catch {
      const pre = document.getElementById(id);
      if (pre !== null) getSelection()?.selectAllChildren(pre);
    }
  }
  useEffect(() => {
    if (!copied) return;
    const timer = setTimeout(() => setCopied(false), 2000);
    return () => clearTimeout(timer);
  }, [copied]);
  return (
    <div class="copy-block">
      <button type="button" class="secondary small" onClick={copy} aria-label={`Copy ${label}`}>
        {copied ? 'Copied' : 'Copy'}
      </button>
      <pre id={id} tabIndex={0} aria-label={label}>
        <code>{text}</code>
      </pre>
    </div>
  );
}

/** The usual async-load state of a view. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): { data: T | undefined; error: unknown; loading: boolean; reload: () => void } {
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({ data: undefined, error: undefined, loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => live && setState({ data, error: undefined, loading: false }),
      (error) => live && setState({ data: undefined, error, loading: false }),
    );
    return () => {
      live = false;
    };
    // The caller names what the load depends on (deps), as with useMemo; `load` itself is a new closure on every render.
  }, [...deps, tick]);
  return { ...state, reload: () => setTick((t) => t + 1) };
}

/** A refusal as the user reads it: the server's problem detail and its code. */
export function problemText(error: unknown): string {
  return error instanceof ApiError ? `${error.detail} (${error.code})` : String(error);
}

export function LoadError({ error }: { error: unknown }) {
  if (error === undefined) return null;
  return <Notice kind="error">{problemText(error)}</Notice>;
}

/** A time as people read it ("3 minutes ago"), with the exact UTC time on hover and for machines. */
export function Time({ iso }: { iso: string | null | undefined }) {
  if (iso === null || iso === undefined) return <>—</>;
  return (
    <time dateTime={iso} title={`${new Date(iso).toISOString()} (${formatTime(iso)})`}>
      {relativeTime(iso, Date.now())}
    </time>
  );
}
