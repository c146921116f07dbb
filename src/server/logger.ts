import { pino, type Logger as PinoLogger } from 'pino';

/** The logging surface the server uses; pino's logger satisfies it. */
export type Logger = Pick<PinoLogger, 'debug' | 'info' | 'warn' | 'error' | 'child'>;

// Tokens, signatures and keys must never reach a log, even by accident through a header dump.
const REDACT = ['req.headers.authorization', 'headers.authorization', 'authorization', 'token', 'secret', 'privateKey'];

export function createLogger(level: string): Logger {
  return pino({ level, redact: { paths: REDACT, censor: '[redacted]' } }, pino.destination(2));
}

export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
