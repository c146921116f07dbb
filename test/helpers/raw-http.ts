import { connect } from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Sends bytes exactly as given over a fresh TCP connection and parses the first response. fetch
 * and node:http both refuse to send malformed requests; an attacker's client does not. With
 * `keepWriting`, the socket is not half-closed after the request (see below).
 */
export function rawRequest(baseUrl: string, request: string | Buffer, options: { keepWriting?: boolean } = {}): Promise<RawResponse> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const [head = '', ...rest] = text.split('\r\n\r\n');
      const [statusLine = '', ...headerLines] = head.split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of headerLines) {
        const colon = line.indexOf(':');
        if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: rest.join('\r\n\r\n') });
    });
    // keepWriting: the request must say Connection: close. A half-closed socket counts as a client
    // that left, and Node drops its request if the answer is not ready at once.
    if (options.keepWriting === true) socket.write(request);
    else socket.end(request);
  });
}

/**
 * Opens one TCP connection per request, waits until all are connected, then writes every request
 * in the same tick, so the server reads them as one burst (fetch spreads them out); resolves with
 * the status of each answer, in order.
 */
export async function rawBurst(baseUrl: string, requests: Array<string | Buffer>): Promise<number[]> {
  const { hostname, port } = new URL(baseUrl);
  const sockets = await Promise.all(
    requests.map(
      () =>
        new Promise<import('node:net').Socket>((resolve, reject) => {
          const socket = connect(Number(port), hostname, () => resolve(socket));
          socket.once('error', reject);
        }),
    ),
  );
  const answers = sockets.map(
    (socket) =>
      new Promise<number>((resolve, reject) => {
        const chunks: Buffer[] = [];
        socket.on('data', (chunk: Buffer) => chunks.push(chunk));
        socket.on('error', reject);
        socket.on('close', () => resolve(Number(Buffer.concat(chunks).toString('latin1').split(' ')[1])));
      }),
  );
  // write, not end: a half-closed socket may be dropped by the server before its answer is ready.
  // The requests say Connection: close, so the server ends each connection after answering.
  sockets.forEach((socket, i) => socket.write(requests[i]!));
  return Promise.all(answers);
}
