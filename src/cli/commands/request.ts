import { readFile } from 'node:fs/promises';
import { loadPrivateKeyFile } from '../../client/key-file.js';
import { SignetError } from '../../protocol/errors.js';
import { signRequest } from '../../protocol/sign.js';
import { EXIT, UsageError, type CliIo, type Command } from '../command.js';
import { parseHeaders, requireString } from '../flags.js';

async function readData(data: unknown): Promise<Buffer | undefined> {
  if (typeof data !== 'string') return undefined;
  if (!data.startsWith('@')) return Buffer.from(data, 'utf8');
  try {
    return await readFile(data.slice(1));
  } catch {
    throw new SignetError('invalid_request', { detail: `Cannot read the data file ${data.slice(1)}.` });
  }
}

export function exitCodeForStatus(status: number): number {
  if (status < 400) return EXIT.ok;
  if (status === 401) return EXIT.unauthenticated;
  if (status === 403) return EXIT.forbidden;
  if (status < 500) return EXIT.requestFailed;
  return EXIT.serverError;
}

/** Prints a problem body as sentences, with expected-versus-received lines for binding errors. */
export function explainProblem(problem: Record<string, unknown>, io: CliIo): void {
  io.stderr.write(`error ${String(problem.code)}: ${String(problem.detail ?? problem.title ?? '')}\n`);
  const mismatches = Array.isArray(problem.mismatches) ? (problem.mismatches as Array<Record<string, unknown>>) : [];
  for (const m of mismatches) {
    io.stderr.write(`  ${String(m.claim)}:\n    expected (server): ${String(m.expected)}\n    received (token):  ${String(m.received)}\n`);
  }
  if (problem.request_id !== undefined) io.stderr.write(`  request id ${String(problem.request_id)}\n`);
}

export const requestCommand: Command = {
  path: ['request'],
  summary: 'Sign and send one HTTP request',
  usage: `signet request METHOD URL --key FILE --kid KID [-d DATA|@FILE] [-H "K: V"]... [--json]

Signs the request with your private key, sends it, and prints the status and body. On a refusal
it prints the server's explanation (for a binding mismatch: expected versus received).

  --key FILE        private key file (PEM or JWK, mode 0600)
  --kid KID         the key id the server gave for your public key
  -d, --data D      request body: a string, or @FILE for a file's exact bytes
  -H, --header K:V  extra header (repeatable)
  --json            print {status, body} as JSON

Exit codes: 0 success, 3 refused (401), 4 forbidden (403), 5 other 4xx, 6 server error,
7 server unreachable, 2 usage error, 8 bad local input.`,
  options: {
    key: { type: 'string' },
    kid: { type: 'string' },
    data: { type: 'string', short: 'd' },
    header: { type: 'string', short: 'H', multiple: true },
    json: { type: 'boolean' },
  },
  async run({ values, positionals, io }) {
    const [method, url] = positionals;
    if (method === undefined || url === undefined) throw new UsageError('METHOD and URL are required.');
    const key = await loadPrivateKeyFile(requireString(values.key, '--key'));
    const kid = requireString(values.kid, '--kid');
    const body = await readData(values.data);
    const headers = parseHeaders(values.header);
    const signed = await signRequest({ method, url, body, kid, key: { type: 'ed25519', privateKey: key.privateKey } });
    let response: Response;
    try {
      response = await fetch(signed.claims.url, {
        method: signed.claims.method,
        headers: { ...headers, Authorization: signed.authorization },
        ...(body !== undefined ? { body: new Uint8Array(body) } : {}),
      });
    } catch (error) {
      io.stderr.write(`cannot reach ${url}: ${String((error as Error).cause ?? (error as Error).message)}\n`);
      return EXIT.unreachable;
    }
    const text = await response.text();
    const isJson = /json/.test(response.headers.get('content-type') ?? '');
    const parsed: unknown = isJson && text !== '' ? JSON.parse(text) : text;
    if (values.json === true) {
      io.stdout.write(JSON.stringify({ status: response.status, body: parsed }) + '\n');
    } else {
      io.stderr.write(`HTTP ${response.status}\n`);
      if (response.status >= 400 && typeof parsed === 'object' && parsed !== null && 'code' in parsed) {
        explainProblem(parsed as Record<string, unknown>, io);
      } else {
        io.stdout.write((typeof parsed === 'string' ? parsed : JSON.stringify(parsed, null, 2)) + '\n');
      }
    }
    return exitCodeForStatus(response.status);
  },
};
