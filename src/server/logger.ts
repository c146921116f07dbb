import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';

/** The logging surface the server uses; pino's logger satisfies it. */
export type Logger = Pick<PinoLogger, 'debug' | 'info' | 'warn' | 'error' | 'child'>;

// Tokens, signatures and keys must never reach a log, even by accident through a header dump.
const REDACT = ['req.headers.authorization', 'headers.authorization', 'authorization', 'token', 'secret', 'privateKey'];

/** JSON lines on standard error, or on `destination` (tests read the lines back). */
export function createLogger(level: string, destination: DestinationStream = pino.destination(2)): Logger {
  return pino({ level, redact: { paths: REDACT, censor: '[redacted]' } }, destination);
}

export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
