import type { CliIo } from '../command.js';
import { shown } from '../terminal-text.js';

export interface KeyJson {
  id: string;
  /** ed25519 or hmac. */
  type?: string;
  status: string;
  label: string;
  scopes: string[];
  thumbprint: string | null;
  expires_at: string | null;
  last_used_at: string | null;
}

/** One line per key: id, type, state, scopes, label, and the times that matter. */
export function printKey(key: KeyJson, io: CliIo, current?: string): void {
  const notes = [
    key.expires_at !== null ? `expires ${key.expires_at}` : '',
    key.last_used_at !== null ? `last used ${key.last_used_at}` : 'never used',
    key.id === current ? '(this profile)' : '',
  ].filter(Boolean);
  io.stdout.write(`${key.id}  ${(key.type ?? '').padEnd(7)}  ${key.status.padEnd(13)}  [${key.scopes.join(',')}]  ${key.label === '' ? '-' : shown(key.label)}  ${notes.join(', ')}\n`);
}
