/** Failures a store reports in its own terms, so no caller has to recognise an engine's error text. */
export type StoreErrorCode = 'duplicate_key';

export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StoreError';
  }
}

/** The write would register a key (id or public key thumbprint) that exists already. */
export function isDuplicateKey(error: unknown): boolean {
  return error instanceof StoreError && error.code === 'duplicate_key';
}
