import type { ComponentChildren } from 'preact';
import { LoadError } from '../ui.js';

function StatusBadge({ status }: { status: string }) {
  return <span class={`badge status-${status}`}>{status.replace(/_/g, ' ')}</span>;
}

/** Column headings, then an unnamed-on-screen last column for the row's buttons. */
export function TableHead({ columns }: { columns: string[] }) {
  return (
    <thead>
      <tr>
        {columns.map((column) => (
          <th key={column} scope="col">
            {column}
          </th>
        ))}
        <th scope="col">
          <span class="visually-hidden">Actions</span>
        </th>
      </tr>
    </thead>
  );
}

/** An id cell (key id, consumer id), with any badges after the id. */
export function IdCell({ id, children }: { id: string; children?: ComponentChildren }) {
  return (
    <td>
      <code>{id}</code>
      {children}
    </td>
  );
}

export function StatusCell({ status, children }: { status: string; children?: ComponentChildren }) {
  return (
    <td>
      <StatusBadge status={status} />
      {children}
    </td>
  );
}

export function KeyLabel({ label }: { label: string | null }) {
  return <>{label ?? <span class="muted">no label</span>}</>;
}

/** The row under a table row that holds its open panel (a confirmation, a sub-list), across all `columns`. */
export function PanelRow({ columns, children }: { columns: number; children: ComponentChildren }) {
  return (
    <tr class="row-panel">
      <td colSpan={columns}>{children}</td>
    </tr>
  );
}

/** Under a paged table: Load more while the server has a next page, and why the last one failed to load. */
export function LoadMore({ hasMore, more, error }: { hasMore: boolean; more: () => void; error: unknown }) {
  return (
    <>
      {hasMore && (
        <button type="button" class="secondary" onClick={more}>
          Load more
        </button>
      )}
      <LoadError error={error} />
    </>
  );
}
