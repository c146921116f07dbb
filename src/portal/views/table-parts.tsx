import type { ComponentChildren } from 'preact';

export function StatusBadge({ status }: { status: string }) {
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

export function StatusCell({ status }: { status: string }) {
  return (
    <td>
      <StatusBadge status={status} />
    </td>
  );
}

export function KeyLabel({ label }: { label: string | null }) {
  return <>{label ?? <span class="muted">no label</span>}</>;
}
