import { clockSkewServerTime, createCorrectedClock, retryOnceOnClockSkew } from '../../client/clock-offset.js';
import { jwkThumbprint, type Ed25519KeyPair } from '../../client/keys.js';
import { PROOF_HEADER } from '../../protocol/format.js';
import { signRequest } from '../../client/sign.js';
import type { SigningKey } from '../../client/signing-key.js';
import { renderProblem } from '../explain.js';
import { EXIT, type CliIo } from '../command.js';
import { exitCodeForStatus } from '../commands/request.js';
import type { SignetProblem } from '../../client/errors.js';
import { jsonText, shown } from '../terminal-text.js';

export interface ApiAnswer {
  status: number;
  /** Parsed JSON, or undefined for an empty body. */
  body: any;
  /** A sentence printed after a refusal, about what the caller can change (e.g. the profile). */
  hint?: string;
}

interface CallOptions {
  json?: unknown;
  /** The key being uploaded: adds a Signet-Proof signed by it over the same request. */
  proof?: Ed25519KeyPair;
}

export interface ApiClient {
  call(method: string, path: string, options?: CallOptions): Promise<ApiAnswer>;
}

/** The server did not answer at all (exit code 7). */
class UnreachableError extends Error {
  override name = 'UnreachableError';
}

/**
 * The CLI's JSON client for the lifecycle API. Unlike the client kit's createSignedFetch (which
 * signs one Authorization header), a key upload needs a second token, the Signet-Proof, signed by
 * the new key over the same request, and an enrollment has no Authorization at all. Both tokens
 * share one clock offset, learnt from the server's time after a clock-skew refusal (one retry).
 */
export function createApiClient(options: { server: string; kid?: string; key?: SigningKey; now?: () => number }): ApiClient {
  const clock = createCorrectedClock(options.now);

  async function once(method: string, url: string, body: Uint8Array | undefined, proof: Ed25519KeyPair | undefined, nowMs: number): Promise<ApiAnswer> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const signing = { method, url, ...(body !== undefined ? { body } : {}), now: nowMs };
    if (options.kid !== undefined && options.key !== undefined) {
      headers.Authorization = (await signRequest({ ...signing, key: options.key, kid: options.kid })).authorization;
    }
    if (proof !== undefined) {
      headers[PROOF_HEADER] = (await signRequest({ ...signing, key: { type: 'ed25519', privateKey: proof.privateKey }, kid: await jwkThumbprint(proof.publicKey) })).token;
    }
    let response: Response;
    try {
      response = await fetch(url, { method, headers, ...(body !== undefined ? { body: body as Uint8Array<ArrayBuffer> } : {}) });
    } catch (error) {
      throw new UnreachableError(`cannot reach ${new URL(url).origin}: ${String((error as Error).cause ?? (error as Error).message)}`);
    }
    const text = await response.text();
    let parsed: any;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = { code: 'invalid_request', detail: `The server answered ${response.status} with a body that is not JSON.` };
    }
    return { status: response.status, body: parsed };
  }

  return {
    async call(method, path, callOptions = {}) {
      const url = new URL(path, options.server).href;
      const body = callOptions.json === undefined ? undefined : new TextEncoder().encode(JSON.stringify(callOptions.json));
      return retryOnceOnClockSkew(
        clock,
        (nowMs) => once(method, url, body, callOptions.proof, nowMs),
        (answer) => clockSkewServerTime(answer.status, answer.body),
      );
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
    for (const e of errors) io.stderr.write(`  ${e.path === '' ? '(body)' : shown(e.path)}: ${shown(e.message)}\n`);
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
  if (values.json === true) io.stdout.write(jsonText(answer.body ?? null) + '\n');
  else human(answer.body);
  return EXIT.ok;
}
