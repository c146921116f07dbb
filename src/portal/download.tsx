import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { keyFileName } from './new-key.js';
import type { PendingDownload } from './session.js';

const HEADINGS: Record<PendingDownload['reason'], string> = {
  enrolled: 'Your key is registered: save the private key now',
  added: 'New key registered: save its private key now',
  rotated: 'Key rotated: save the new private key now',
};

/**
 * The one chance to save a private key made in this browser: a link to a blob of its PEM. The
 * blob and the PEM text are released when the panel closes; the server never had either.
 */
export function DownloadPanel({ download, onClose }: { download: PendingDownload; onClose: () => void }) {
  const headingId = useId();
  const file = keyFileName(download.kid);
  const panel = useFocusOnShow(download.kid);
  return (
    <section class="card download" aria-labelledby={headingId} data-testid="download-panel" tabIndex={-1} ref={panel}>
      <h2 id={headingId}>{HEADINGS[download.reason]}</h2>
      <p>
        This is the only time the private key of <code>{download.kid}</code> can be saved. It was made in this browser and never sent anywhere: the server holds only its public key.{' '}
        {download.reason === 'added' ? '' : 'The copy this browser keeps can sign for the portal but cannot be exported.'}
      </p>
      <OneTimeDownloadActions text={download.pem} type="application/x-pem-file" file={file} onClose={onClose} />
      <p class="hint">
        It is a PKCS#8 PEM file, as <code>openssl genpkey -algorithm ed25519</code> writes: the <code>signet</code> CLI, Node, Python and Go load it. Keep it private (<code>chmod 600 {file}</code>);
        the <a href="#/snippets">code snippets</a> show how to use it.
      </p>
    </section>
  );
}

/**
 * The buttons of a one-time download panel: a link to a blob of `text`, made afresh (and the
 * previous one released) when what it holds changes, and a close button that says whether it was saved.
 */
export function OneTimeDownloadActions({ text, type, file, onClose }: { text: string; type: string; file: string; onClose: () => void }) {
  const [saved, setSaved] = useState(false);
  const [url, setUrl] = useState<string | undefined>(undefined);
  useEffect(() => {
    const blobUrl = URL.createObjectURL(new Blob([text], { type }));
    setUrl(blobUrl);
    setSaved(false);
    return () => URL.revokeObjectURL(blobUrl);
  }, [text, type, file]);
  return (
    <p class="actions">
      {url !== undefined && (
        <a class="button" href={url} download={file} onClick={() => setSaved(true)}>
          Download {file}
        </a>
      )}
      <button type="button" class="secondary" onClick={onClose}>
        {saved ? 'Done' : 'Close without saving'}
      </button>
    </p>
  );
}

/**
 * Moves keyboard focus to a one-time panel when it appears (and when what it offers changes): the
 * form that made it may be gone, and the download must not be many Tabs away.
 */
export function useFocusOnShow(what: string) {
  const ref = useRef<HTMLElement>(null);
  useEffect(() => {
    ref.current?.focus();
    ref.current?.scrollIntoView?.({ block: 'nearest' });
  }, [what]);
  return ref;
}
