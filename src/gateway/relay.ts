import type { ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import { responseHeaderLines } from './forwarding.js';

/** How one relayed answer ended: `error` set means the upstream failed (before headers when `headersSent` is false). */
export interface RelayEnd {
  status: number;
  bytesOut: number;
  headersSent: boolean;
  error?: unknown;
}

/**
 * Streams one upstream answer into the client's response as undici delivers it: an undici dispatch
 * handler, so no intermediate Readable, stream pipeline or AbortController per request (with
 * `pool.request` and `pipeline` those were about a tenth of the gateway's CPU time in a profile).
 * A client socket that is full pauses the upstream read until it drains; a client that goes away
 * while the answer streams aborts the upstream request. `onEnd` is called exactly once.
 */
export class Relay implements Dispatcher.DispatchHandler {
  private abort: ((reason?: Error) => void) | undefined;
  private resume: (() => void) | undefined;
  private status = 0;
  private bytesOut = 0;
  private ended = false;

  constructor(
    private readonly res: ServerResponse,
    /** Fields Signet sets on the answer (Request-Id, rate limits); the upstream's of the same names are dropped. */
    private readonly own: Readonly<Record<string, string>>,
    private readonly onEnd: (end: RelayEnd) => void,
  ) {}

  onConnect(abort: (reason?: Error) => void): void {
    this.abort = abort;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    // 1xx interim answers are not relayed (the gateway refuses Upgrade and sends no Expect).
    if (statusCode < 200) return true;
    this.status = statusCode;
    // An invalid upstream field makes writeHead throw; undici then aborts and calls onError (a 502).
    this.res.writeHead(statusCode, responseHeaderLines(rawHeaders, this.own));
    // 'close' is emitted once; clientClosed ignores it after the end, so no once() wrapper is needed.
    this.res.on('close', this.clientClosed);
    this.resume = resume;
    return this.writable();
  }

  onData(chunk: Buffer): boolean {
    this.bytesOut += chunk.length;
    return this.res.write(chunk) || this.writable();
  }

  onComplete(): void {
    if (this.ended) return;
    this.ended = true;
    this.res.end();
    this.onEnd({ status: this.status, bytesOut: this.bytesOut, headersSent: true });
  }

  onError(error: Error): void {
    if (this.ended) return;
    this.ended = true;
    const headersSent = this.res.headersSent;
    if (headersSent) this.res.destroy();
    this.onEnd({ status: this.status, bytesOut: this.bytesOut, headersSent, error });
  }

  /**
   * Whether the client socket takes more now; if not, the upstream read resumes on 'drain'. The
   * listener is added only when a write has to wait (most answers never do), not on every answer.
   */
  private writable(): boolean {
    if (!this.res.writableNeedDrain) return true;
    this.res.once('drain', this.resume!);
    return false;
  }

  private readonly clientClosed = (): void => {
    if (!this.ended) this.abort?.(new Error('the client closed the connection before the answer was sent'));
  };
}
