import { IncomingMessage, ServerResponse } from 'node:http';
import { Duplex } from 'node:stream';

/** A request listener, as `app.callback()` returns it. */
export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/** A socket that accepts every write and delivers nothing. */
function nullSocket(): Duplex {
  const socket = new Duplex({
    read() {},
    write(_chunk, _encoding, callback) {
      callback();
    },
    writev(_chunks, callback) {
      callback();
    },
  });
  Object.assign(socket, { remoteAddress: '127.0.0.1', remotePort: 40000, encrypted: false });
  return socket;
}

/**
 * One GET /v1/whoami through `callback` with Node's own request and response objects, on a socket
 * that throws its bytes away: no system calls, no loopback. Resolves with the status code.
 */
export function inProcessRequest(callback: RequestListener, authorization: string | undefined, port: number): Promise<number> {
  return new Promise((resolve) => {
    const socket = nullSocket();
    const req = new IncomingMessage(socket as never);
    req.method = 'GET';
    req.url = '/v1/whoami';
    req.httpVersion = '1.1';
    req.httpVersionMajor = 1;
    req.httpVersionMinor = 1;
    const raw = ['Host', `127.0.0.1:${port}`, 'Connection', 'keep-alive'];
    if (authorization !== undefined) raw.push('Authorization', authorization);
    req.rawHeaders = raw;
    req.headers = { host: `127.0.0.1:${port}`, connection: 'keep-alive', ...(authorization !== undefined ? { authorization } : {}) };
    req.complete = true;
    req.push(null);
    const res = new ServerResponse(req);
    res.assignSocket(socket as never);
    res.once('finish', () => resolve(res.statusCode));
    callback(req, res);
  });
}

/**
 * Drives every token through `callback`, `concurrency` requests at a time, and gives the process's
 * CPU time per request (user + system, thread pool included). `flush`, when given, writes what the
 * pass buffered (usage, last use) inside the measurement, so each pass pays for its own writes
 * instead of whichever pass a flush timer happens to fire in.
 */
export async function driveInProcess(
  callback: RequestListener,
  tokens: readonly (string | undefined)[],
  options: { concurrency: number; port: number; flush?: () => Promise<void> },
): Promise<{ cpuUs: number; failures: number }> {
  let next = 0;
  let failures = 0;
  const started = process.cpuUsage();
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (next < tokens.length) {
        const status = await inProcessRequest(callback, tokens[next++], options.port);
        if (status !== 200) failures++;
      }
    }),
  );
  await options.flush?.();
  const used = process.cpuUsage(started);
  return { cpuUs: (used.user + used.system) / tokens.length, failures };
}
