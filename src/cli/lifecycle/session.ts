import { UsageError, type CliIo, type Command } from '../command.js';
import { CLIENT_OPTIONS, CLIENT_OPTIONS_HELP, clientSetup, requirePositionals, scopeHintFor, type ClientSetup } from '../client-setup.js';
import { createApiClient, printAnswer, withServer, type ApiClient } from './api-client.js';
import { JSON_HELP } from './flags.js';

export interface Session extends ClientSetup {
  server: string;
  api: ApiClient;
}

/** The profile (or flags) resolved, its key loaded, and a client that signs with it. */
export async function signedSession(values: Record<string, unknown>): Promise<Session> {
  const setup = await clientSetup(values);
  const server = setup.profile.server;
  if (server === undefined) throw new UsageError('No server: pass --server URL or set SIGNET_SERVER, or use a profile with a server.');
  const api = createApiClient({ server, kid: setup.kid, key: setup.key });
  return {
    ...setup,
    server,
    api: {
      async call(...args) {
        const answer = await api.call(...args);
        const hint = answer.status === 403 ? await scopeHintFor(setup, answer.body) : undefined;
        return hint === undefined ? answer : { ...answer, hint };
      },
    },
  };
}

export const segment = (id: string): string => encodeURIComponent(id);

/**
 * Signs one request (the arguments of ApiClient.call) with the profile's key and prints a 200
 * answer (as JSON with --json, else with `print`); any other answer is reported as a failure.
 */
export async function signedCall<Body = any>(values: Record<string, unknown>, io: CliIo, request: Parameters<ApiClient['call']>, print: (body: Body, session: Session) => void): Promise<number> {
  const session = await signedSession(values);
  return withServer(io, async () => printAnswer(await session.api.call(...request), 200, values, io, (body) => print(body as Body, session)));
}

/** A path with its query string, if the query has anything. */
export const withQuery = (path: string, query: URLSearchParams): string => (query.size > 0 ? `${path}?${query}` : path);

/**
 * A command whose only argument is one id: it signs one request about that id and prints the
 * 200 answer (as JSON with --json, else with `print`).
 */
export function oneIdCommand(spec: {
  path: string[];
  summary: string;
  /** The positional's name in the usage line, e.g. CONSUMER_ID. */
  idName: string;
  method: string;
  url: (id: string) => string;
  print: (body: any, io: CliIo) => void;
}): Command {
  return {
    path: spec.path,
    summary: spec.summary,
    usage: `signet ${spec.path.join(' ')} ${spec.idName} [--json] [--profile NAME]

${JSON_HELP}
${CLIENT_OPTIONS_HELP}`,
    options: { ...CLIENT_OPTIONS, json: { type: 'boolean' } },
    async run({ values, positionals, io }) {
      const [id] = requirePositionals(positionals, [spec.idName]);
      return signedCall(values, io, [spec.method, spec.url(segment(id!))], (body) => spec.print(body, io));
    },
  };
}

/**
 * Signs one GET of a paged admin list, with each of `queryNames` that was given as a flag copied to
 * the query, and prints the items (as JSON with --json, else with `printItem`) and the next page's
 * cursor last.
 */
export async function printPage<Item>(
  values: Record<string, unknown>,
  io: CliIo,
  path: string,
  query: URLSearchParams,
  queryNames: readonly string[],
  printItem: (item: Item) => void,
): Promise<number> {
  for (const name of queryNames) if (typeof values[name] === 'string') query.set(name, values[name] as string);
  return signedCall(values, io, ['GET', withQuery(path, query)], (page: { items: Item[]; next_cursor: string | null }) => {
    for (const item of page.items) printItem(item);
    if (page.next_cursor !== null) io.stderr.write(`more: --cursor ${page.next_cursor}\n`);
  });
}
