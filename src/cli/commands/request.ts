import { SignetResponseError, type SignetProblem } from '../../client/errors.js';
import { parseRequestFormat } from '../../client/request-format.js';
import { createSignedFetch } from '../../client/signed-fetch.js';
import { SignetError } from '../../protocol/errors.js';
import { CLIENT_OPTIONS, CLIENT_OPTIONS_HELP, clientSetup, readData, requirePositionals, resolveTarget, scopeHintFor } from '../client-setup.js';
import { paletteFor } from '../color.js';
import { EXIT, type Command } from '../command.js';
import { renderClaims, renderProblem } from '../explain.js';
import { parseHeaders } from '../flags.js';

export function exitCodeForStatus(status: number): number {
  if (status < 400) return EXIT.ok;
  if (status === 401) return EXIT.unauthenticated;
  if (status === 403) return EXIT.forbidden;
  if (status < 500) return EXIT.requestFailed;
  return EXIT.serverError;
}

async function readBody(response: Response): Promise<unknown> {
  const text = await response.text();
  if (!/json/i.test(response.headers.get('content-type') ?? '') || text === '') return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

const isProblem = (body: unknown): body is SignetProblem => typeof body === 'object' && body !== null && typeof (body as SignetProblem).code === 'string';

export const requestCommand: Command = {
  path: ['request'],
  summary: 'Sign and send one HTTP request',
  usage: `signet request METHOD PATH|URL [-d DATA|@FILE] [-H "K: V"]... [--format jws|rfc9421] [--json] [--explain] [--profile NAME]

Signs the request with your private key, sends it, and prints the response body (status on
standard error). A PATH such as /v1/whoami goes to the profile's server. If the server says the
local clock is off, the request is re-signed once with the server's time. On a refusal it prints
the server's explanation (for a binding mismatch: expected versus received).

${CLIENT_OPTIONS_HELP}
  -d, --data D      request body: a string, @FILE for a file's exact bytes, @- for stdin
  -H, --header K:V  extra header (repeatable)
  --format F        jws (default: Authorization: Signet) or rfc9421 (RFC 9421 Signature-Input,
                    Signature and Content-Digest headers)
  --json            print {"status", "body"} as one JSON line on standard output
  --explain         print the claims signed and, on a refusal, a coloured expected-versus-
                    received diff with a hint (colour only on a terminal, never with NO_COLOR)

Exit codes: 0 success, 2 usage error, 3 refused (401), 4 forbidden (403), 5 other 4xx,
6 server error (5xx), 7 server unreachable, 8 bad local input (key file, data file).`,
  options: {
    ...CLIENT_OPTIONS,
    data: { type: 'string', short: 'd' },
    header: { type: 'string', short: 'H', multiple: true },
    format: { type: 'string' },
    json: { type: 'boolean' },
    explain: { type: 'boolean' },
  },
  async run({ values, positionals, io }) {
    const [method, target] = requirePositionals(positionals, ['METHOD', 'PATH|URL']) as [string, string];
    const setup = await clientSetup(values);
    const url = resolveTarget(target, setup.profile.server);
    const body = await readData(values.data);
    const headers = parseHeaders(values.header);
    const explain = values.explain === true;
    const format = parseRequestFormat(values.format as string | undefined);
    const palette = paletteFor(io.stderr, setup.env);
    let attempt = 0;
    const signedFetch = createSignedFetch({
      key: setup.key,
      kid: setup.kid,
      format,
      onSigned: (claims, kid) => {
        if (explain) io.stderr.write(renderClaims(claims, kid, attempt, palette));
        attempt++;
      },
    });

    let status: number;
    let responseBody: unknown;
    try {
      const response = await signedFetch(url, { method, headers, ...(body !== undefined ? { body } : {}) });
      status = response.status;
      responseBody = await readBody(response);
    } catch (error) {
      if (error instanceof SignetResponseError) {
        status = error.httpStatus;
        responseBody = error.problem;
      } else if (error instanceof SignetError) {
        throw error;
      } else {
        const cause = (error as Error).cause as { code?: string; message?: string } | undefined;
        io.stderr.write(`cannot reach ${new URL(url).origin}: ${cause?.code ?? cause?.message ?? (error as Error).message}\n`);
        return EXIT.unreachable;
      }
    }

    if (values.json === true) {
      io.stdout.write(JSON.stringify({ status, body: responseBody }) + '\n');
    } else {
      io.stderr.write(`HTTP ${status}\n`);
      if (status >= 400 && isProblem(responseBody)) {
        io.stderr.write(renderProblem(responseBody, { palette, explain }));
        io.stderr.write((await scopeHintFor(setup, responseBody)) ?? '');
      } else io.stdout.write((typeof responseBody === 'string' ? responseBody : JSON.stringify(responseBody, null, 2)) + '\n');
    }
    return exitCodeForStatus(status);
  },
};
