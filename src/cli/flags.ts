import { UsageError } from './command.js';

export function parsePort(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be 0 to 65535, not "${text}".`);
  return port;
}

export function requireString(value: unknown, flag: string): string {
  if (typeof value !== 'string' || value === '') throw new UsageError(`${flag} is required.`);
  return value;
}

/** `K:V` header flags into a header record. */
export function parseHeaders(values: unknown): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const raw of (values as string[] | undefined) ?? []) {
    const colon = raw.indexOf(':');
    if (colon <= 0) throw new UsageError(`A header must look like "Name: value", not "${raw}".`);
    headers[raw.slice(0, colon).trim()] = raw.slice(colon + 1).trim();
  }
  return headers;
}
