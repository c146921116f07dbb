import type { ParseArgsConfig } from 'node:util';

export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

interface CommandContext {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
  io: CliIo;
}

/** One `signet` subcommand: its flags, its help text, and what it does. */
export interface Command {
  /** Words after `signet`, e.g. ['consumers', 'add']. */
  path: string[];
  summary: string;
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  run(context: CommandContext): Promise<number>;
}

/** Exit codes, one per error class, so scripts can tell failures apart. */
export const EXIT = {
  ok: 0,
  internal: 1,
  usage: 2,
  unauthenticated: 3,
  forbidden: 4,
  requestFailed: 5,
  serverError: 6,
  unreachable: 7,
  invalidInput: 8,
} as const;

export class UsageError extends Error {
  override name = 'UsageError';
}
