import { isErrorCode, SignetError, type BindingMismatch, type ErrorCode } from '../protocol/errors.js';

/** A Signet problem body (RFC 9457) as the server sends it; unknown members are kept. */
export interface SignetProblem {
  type?: string;
  title?: string;
  status?: number;
  code?: string;
  detail?: string;
  request_id?: string;
  server_time?: number;
  mismatches?: BindingMismatch[];
  [member: string]: unknown;
}

/**
 * The server refused a request with a Signet problem. `code` is one of the closed list; a code
 * this client does not know (a newer server) is kept in `problem.code` and mapped by status.
 */
export class SignetResponseError extends SignetError {
  /** The HTTP status the server answered with. */
  readonly httpStatus: number;
  readonly requestId: string | undefined;
  /** The server's clock (seconds since the epoch) when it refused the request. */
  readonly serverTime: number | undefined;
  /** Expected (server) versus received (token) values, for binding and audience mismatches. */
  readonly mismatches: readonly BindingMismatch[];
  /** The whole problem body. */
  readonly problem: Readonly<SignetProblem>;

  constructor(httpStatus: number, problem: SignetProblem) {
    const code: ErrorCode = isErrorCode(problem.code) ? problem.code : fallbackCode(httpStatus);
    super(code, typeof problem.detail === 'string' ? { detail: problem.detail } : {});
    this.name = 'SignetResponseError';
    this.httpStatus = httpStatus;
    this.requestId = typeof problem.request_id === 'string' ? problem.request_id : undefined;
    this.serverTime = typeof problem.server_time === 'number' && Number.isFinite(problem.server_time) ? problem.server_time : undefined;
    this.mismatches = Object.freeze(Array.isArray(problem.mismatches) ? problem.mismatches.filter(isMismatch) : []);
    this.problem = Object.freeze({ ...problem });
  }

  /**
   * Reads a Signet problem from a response (consuming its body), or returns undefined if the
   * response is not one: for turning other refusals (404, 429, ...) into typed errors yourself.
   */
  static async fromResponse(response: Response): Promise<SignetResponseError | undefined> {
    if (!isProblemResponse(response)) return undefined;
    let body: unknown;
    try {
      body = await response.json();
    } catch {
      return undefined;
    }
    if (typeof body !== 'object' || body === null || typeof (body as SignetProblem).code !== 'string') return undefined;
    return new SignetResponseError(response.status, body as SignetProblem);
  }
}

export function isProblemResponse(response: Response): boolean {
  return /^application\/problem\+json\b/i.test(response.headers.get('content-type') ?? '');
}

function fallbackCode(status: number): ErrorCode {
  if (status === 401) return 'invalid_token';
  if (status === 403) return 'insufficient_scope';
  if (status >= 500) return 'internal_error';
  return 'invalid_request';
}

function isMismatch(value: unknown): value is BindingMismatch {
  const m = value as BindingMismatch | null;
  return typeof m === 'object' && m !== null && typeof m.claim === 'string' && typeof m.expected === 'string' && typeof m.received === 'string';
}
