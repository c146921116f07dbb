import type { IncomingMessage } from 'node:http';
import type { Middleware } from 'koa';
import { SignetError } from '../../protocol/errors.js';
import type { SignetState } from '../state.js';

const EMPTY = Buffer.alloc(0);

function tooLarge(limit: number): SignetError {
  return new SignetError('payload_too_large', { detail: `The request body exceeds the limit of ${limit} bytes.` });
}

/**
 * True when the request has no body (HTTP/1.1, RFC 9112 section 6.3: neither Content-Length nor
 * Transfer-Encoding, or a Content-Length of 0); refuses (413) a declared length above `limit`.
 */
function declaresNoBody(headers: IncomingMessage['headers'], limit: number): boolean {
  const header = headers['content-length'];
  const declared = header === undefined || header === '' ? undefined : Number(header);
  if (declared !== undefined && declared > limit) throw tooLarge(limit);
  return declared === 0 || (declared === undefined && headers['transfer-encoding'] === undefined);
}

/**
 * Reads the exact body bytes of a Node request, refusing (413 payload_too_large) a declared or
 * received length above `limit` without reading further. Shared by the Koa middleware below, the
 * framework adapters and the gateway.
 */
export async function readRawBody(req: Pick<IncomingMessage, 'headers'> & AsyncIterable<unknown>, limit: number): Promise<Buffer> {
  if (declaresNoBody(req.headers, limit)) return EMPTY;
  const chunks: Buffer[] = [];
  let received = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    received += chunk.length;
    if (received > limit) throw tooLarge(limit);
    chunks.push(chunk);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, received);
}

/**
 * Reads the exact body bytes into `ctx.state.rawBody` before anything parses them: the signature
 * binds these bytes, and a parser's idea of the body (decoded text, re-serialised JSON) differs.
 * A request without a body (most GETs) goes on without waiting for anything.
 */
export function rawBody(limit: number): Middleware<SignetState> {
  return function rawBodyMiddleware(ctx, next) {
    if (declaresNoBody(ctx.req.headers, limit)) {
      ctx.state.rawBody = EMPTY;
      return next();
    }
    return readRawBody(ctx.req, limit).then((body) => {
      ctx.state.rawBody = body;
      return next();
    });
  };
}
