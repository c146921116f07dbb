import type { Ed25519KeyPair } from '../../client/keys.js';
import { PROOF_HEADER } from '../../protocol/format.js';
import { jwkThumbprint } from '../../protocol/public-key.js';
import { signRequest, type SigningKey } from '../../protocol/sign.js';
import { renderProblem } from '../explain.js';
import { EXIT, type CliIo } from '../command.js';
import { exitCodeForStatus } from '../commands/request.js';
import type { SignetProblem } from '../../client/errors.js';

export interface ApiAnswer {
  status: number;
  /** Parsed JSON, or undefined for an empty body. */
  body: any;
  /** A sentence printed after a refusal, about what the caller can change (e.g. the profile). */
  hint?: string;
}

export interface CallOptions {
  json?: unknown;
  /** The key being uploaded: adds a Signet-Proof signed by it over the same request. */
  proof?: Ed25519KeyPair;
}

export interface ApiClient {
  call(method: string, path: string, options?: CallOptions): Promise<ApiAnswer>;
}

/** The server did not answer at all (exit code 7). */
export class UnreachableError extends Error {
  override name = 'UnreachableError';
}

const CLOCK_SKEW_CODES = new Set(['token_expired', 'token_issued_in_future']);

/**
 * The CLI's JSON client for the lifecycle API. Unlike the client kit's createSignedFetch (which
 * signs one Authorization header), a key upload needs a second token, the Signet-Proof, signed by
 * the new key over the same request, and an enrollment has no Authorization at all. Both tokens
 * share one clock offset, learnt from the server's time after a clock-skew refusal (one retry).
 */
export function createApiClient(options: { server: string; kid?: string; key?: SigningKey; now?: () => number }): ApiClient {
  const now = options.now ?? (() => Date.now());
  let offsetMs = 0;

  async function once(method: string, url: string, body: Uint8Array | undefined, proof: Ed25519KeyPair | undefined): Promise<Response> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const signing = { method, url, ...(body !== undefined ? { body } : {}), now: now() + offsetMs };
    if (options.kid !== undefined && options.key !== undefined) {
      headers.Authorization = (await signRequest({ ...signing, key: options.key, kid: options.kid })).authorization;
    }
    if (proof !== undefined) {
      headers[PROOF_HEADER] = (await signRequest({ ...signing, key: { type: 'ed25519', privateKey: proof.privateKey }, kid: await jwkThumbprint(proof.publicKey) })).token;
    }
    try {
      return await fetch(url, { method, headers, ...(body !== undefined ? { body: body as Uint8Array<ArrayBuffer> } : {}) });
    } catch (error) {
      throw new UnreachableError(`cannot reach ${new URL(url).origin}: ${String((error as Error).cause ?? (error as Error).message)}`);
    }
  }

  return {
    async call(method, path, callOptions = {}) {
      const url = new URL(path, options.server).href;
      const body = callOptions.json === undefined ? undefined : new TextEncoder().encode(JSON.stringify(callOptions.json));
      for (let attempt = 0; ; attempt++) {
        const response = await once(method, url, body, callOptions.proof);
        const text = await response.text();
        let parsed: any = undefined;
        try {
          parsed = text === '' ? undefined : JSON.parse(text);
        } catch {
          parsed = { code: 'invalid_request', detail: `The server answered ${response.status} with a body that is not JSON.` };
        }
        const skewed = response.status === 401 && CLOCK_SKEW_CODES.has(parsed?.code) && typeof parsed?.server_time === 'number';
        if (!skewed || attempt > 0) return { status: response.status, body: parsed };
        // server_time is whole seconds: aim at the middle of that second.
        offsetMs = parsed.server_time * 1000 + 500 - now();
      }
    },
  };
}

/** Prints a refusal as sentences and returns the exit code for its status. */
export function reportFailure(answer: ApiAnswer, io: CliIo): number {
  io.stderr.write(`HTTP ${answer.status}\n`);
  const body = answer.body as SignetProblem | undefined;
  if (body !== undefined && typeof body.code === 'string') {
    io.stderr.write(renderProblem(body));
    const errors = (body as { errors?: Array<{ path: string; message: string }> }).errors ?? [];
    for (const e of errors) io.stderr.write(`  ${e.path === '' ? '(body)' : e.path}: ${e.message}\n`);
  }
  if (answer.hint !== undefined) io.stderr.write(answer.hint);
  return exitCodeForStatus(answer.status);
}

/** Runs a command body, turning an unreachable server into exit code 7 with one sentence. */
export async function withServer(io: CliIo, run: () => Promise<number>): Promise<number> {
  try {
    return await run();
  } catch (error) {
    if (!(error instanceof UnreachableError)) throw error;
    io.stderr.write(`${error.message}\n`);
    return EXIT.unreachable;
  }
}

/** Prints a successful answer (the JSON with --json, else `human`), or the refusal. */
export function printAnswer(answer: ApiAnswer, ok: number, values: Record<string, unknown>, io: CliIo, human: (body: any) => void): number {
  if (answer.status !== ok) return reportFailure(answer, io);
  if (values.json === true) io.stdout.write(JSON.stringify(answer.body ?? null) + '\n');
  else human(answer.body);
  return EXIT.ok;
}
