import { randomUUID } from 'node:crypto';
import { STATUS_CODES, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { SignetError } from '../protocol/errors.js';
import { problemBody } from './problem.js';

/** How long a refused connection may keep sending before it is cut. */
const LINGER_MS = 5_000;

/**
 * Answers requests Node's HTTP parser refuses before Koa sees them, chiefly a header section
 * larger than `maxHeaderSize` (16 KiB by default): 431 `headers_too_large` with a problem body,
 * like every other refusal, instead of Node's bare status line.
 *
 * Why not Node's own answer: it writes its status line and destroys the socket at once, while the
 * client is still sending the rest of its (1 MiB) header. Closing a socket with unread input makes
 * the kernel send a reset, and since Node 24 that reset usually reaches the client before the 431
 * does, so the client sees "connection reset". Here the answer is written, the sending side is
 * closed, and whatever the client still sends is read and dropped until it closes too (or
 * LINGER_MS passes).
 */
export function answerClientErrors(http: Server, clock: { now(): number }): void {
  http.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    // Node keeps feeding a socket's later bytes to the failed parser; answer once.
    if (socket.writableEnded || socket.destroyed) return;
    // As Node itself: never write into a response already under way, nor to a peer that left.
    const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (error.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent === true) {
      socket.destroy();
      return;
    }
    const refusal =
      error.code === 'HPE_HEADER_OVERFLOW'
        ? new SignetError('headers_too_large', { detail: 'The request line and headers are larger than the server accepts; a Signet token is at most a few kilobytes.' })
        : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? new SignetError('request_timeout', { detail: "The request did not arrive within the server's time limit; send it again, faster." })
          : new SignetError('invalid_request', { detail: 'The request is not valid HTTP/1.1.' });
    const requestId = randomUUID();
    const body = JSON.stringify(problemBody(refusal, requestId, clock.now()));
    const head = [
      `HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status] ?? ''}`,
      'Content-Type: application/problem+json',
      `Content-Length: ${Buffer.byteLength(body)}`,
      `Request-Id: ${requestId}`,
      'Cache-Control: no-store',
      'Connection: close',
    ];
    socket.removeAllListeners('data');
    socket.removeAllListeners('end');
    socket.on('data', () => {});
    socket.on('end', () => socket.destroy());
    socket.on('error', () => socket.destroy());
    setTimeout(() => socket.destroy(), LINGER_MS).unref();
    socket.resume();
    socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
  });
}
