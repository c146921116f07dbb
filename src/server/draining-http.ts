import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { answerClientErrors } from './client-errors.js';

export interface HttpTimeouts {
  /** The server's time (for the problem body's server_time). */
  now(): number;
  /** Longest wait for a request's complete headers (slowloris). */
  headersTimeoutMs: number;
  /** Longest wait for a whole request, body included. */
  requestTimeoutMs: number;
}

export interface DrainingServer {
  http: Server;
  /**
   * Stops accepting connections; closes at once every connection with no request in progress
   * (idle keep-alive ones, and ones that have not finished sending their headers); answers the
   * requests in progress with `Connection: close`, so their connections end with the answer; and
   * destroys whatever is still open after `graceMs`. Resolves once every connection is gone.
   */
  drain(graceMs: number): Promise<void>;
}

/**
 * How often Node looks for connections past their header or request timeout. Node's default is
 * 30 s, which lets a slow client hold a socket up to 30 s past a 10 s header timeout.
 */
const TIMEOUT_CHECK_INTERVAL_MS = 1_000;

/**
 * An HTTP server that can be stopped while busy. `server.close()` alone only stops accepting and
 * (Node 19+) closes idle keep-alive connections once: a client that keeps a connection busy with
 * back-to-back requests, or one that never finishes its headers, keeps the process alive for as
 * long as it likes. This tracks each connection's requests through public events only (Node's
 * own bookkeeping is private; http-terminator and stoppable read `socket._httpMessage`).
 */
export function createDrainingServer(listener: RequestListener, timeouts: HttpTimeouts): DrainingServer {
  const http = createServer({
    headersTimeout: timeouts.headersTimeoutMs,
    requestTimeout: timeouts.requestTimeoutMs,
    connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS,
  });
  /** Every open connection and how many of its requests are not yet answered. */
  const connections = new Map<Socket, number>();
  const inFlight = new Set<ServerResponse>();
  let draining = false;

  http.on('connection', (socket: Socket) => {
    if (draining) {
      socket.destroy();
      return;
    }
    connections.set(socket, 0);
    socket.once('close', () => connections.delete(socket));
  });
  // Requests Node refuses before they reach the app (headers too large, malformed, too slow) get
  // the same problem body as every other refusal, not a bare status line.
  answerClientErrors(http, timeouts);
  http.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const socket = request.socket;
    connections.set(socket, (connections.get(socket) ?? 0) + 1);
    inFlight.add(response);
    if (draining) response.setHeader('Connection', 'close');
    response.once('close', () => {
      inFlight.delete(response);
      const open = (connections.get(socket) ?? 1) - 1;
      if (connections.has(socket)) connections.set(socket, open);
      // A connection's last answer during a drain ends it, even if the client asked to keep it.
      if (draining && open === 0) socket.destroySoon();
    });
    listener(request, response);
  });

  let drained: Promise<void> | undefined;
  const drain = (graceMs: number): Promise<void> =>
    (drained ??= new Promise<void>((resolve) => {
      draining = true;
      const force = setTimeout(() => {
        http.closeAllConnections();
        for (const socket of connections.keys()) socket.destroy();
      }, graceMs);
      http.close(() => {
        clearTimeout(force);
        resolve();
      });
      for (const [socket, open] of connections) if (open === 0) socket.destroy();
      for (const response of inFlight) if (!response.headersSent) response.setHeader('Connection', 'close');
    }));

  return { http, drain };
}
