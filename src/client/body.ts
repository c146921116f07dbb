import { SignetError } from '../protocol/errors.js';

/**
 * The largest body createSignedFetch buffers for signing, by default 8 MiB. The signature covers
 * a hash of the exact body bytes, so streams and Blobs must be read whole before sending.
 */
export const DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024;

/** Plain objects and arrays are sent as JSON (an extension over fetch, which would send "[object Object]"). */
export type JsonBody = { [key: string]: unknown } | unknown[];

export interface BufferedBody {
  /** The exact bytes to sign and send; undefined for no body. */
  bytes: Uint8Array | undefined;
  /** The Content-Type fetch would have set for this body type, if any. */
  contentType: string | undefined;
}

const encoder = new TextEncoder();

function tooLarge(maxBytes: number): SignetError {
  return new SignetError('payload_too_large', {
    detail: `The request body is larger than the ${maxBytes} bytes this client buffers for signing (raise maxBodyBytes to send more).`,
  });
}

function checked(bytes: Uint8Array, contentType: string | undefined, maxBytes: number): BufferedBody {
  if (bytes.length > maxBytes) throw tooLarge(maxBytes);
  return { bytes, contentType };
}

function isPlainJson(body: object): body is JsonBody {
  if (Array.isArray(body)) return true;
  const proto = Object.getPrototypeOf(body) as unknown;
  return proto === Object.prototype || proto === null;
}

async function readChunks(chunks: AsyncIterable<unknown>, maxBytes: number): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of chunks) {
    const bytes = typeof chunk === 'string' ? encoder.encode(chunk) : toBytes(chunk);
    if (bytes === undefined) throw new SignetError('invalid_request', { detail: 'A body stream yielded something other than bytes or text.' });
    total += bytes.length;
    if (total > maxBytes) throw tooLarge(maxBytes);
    parts.push(bytes);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

async function* streamChunks(stream: ReadableStream<Uint8Array>): AsyncIterable<Uint8Array> {
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    // Stop reading a stream that turned out too large instead of draining it.
    await reader.cancel().catch(() => undefined);
  }
}

function toBytes(value: unknown): Uint8Array | undefined {
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  return undefined;
}

/**
 * Turns any body fetch accepts (plus plain JSON values) into the exact bytes that will be sent,
 * with the Content-Type fetch would have derived from the body's type.
 */
export async function bufferBody(body: unknown, maxBytes: number = DEFAULT_MAX_BODY_BYTES): Promise<BufferedBody> {
  if (body === undefined || body === null) return { bytes: undefined, contentType: undefined };
  if (typeof body === 'string') return checked(encoder.encode(body), 'text/plain;charset=UTF-8', maxBytes);
  const bytes = toBytes(body);
  if (bytes !== undefined) return checked(bytes, undefined, maxBytes);
  if (body instanceof URLSearchParams) return checked(encoder.encode(body.toString()), 'application/x-www-form-urlencoded;charset=UTF-8', maxBytes);
  if (typeof Blob !== 'undefined' && body instanceof Blob) {
    if (body.size > maxBytes) throw tooLarge(maxBytes);
    return checked(new Uint8Array(await body.arrayBuffer()), body.type === '' ? undefined : body.type, maxBytes);
  }
  if (typeof FormData !== 'undefined' && body instanceof FormData) {
    // Let the platform pick the multipart boundary, then sign the exact bytes it produced.
    const encoded = new Response(body);
    const stream = encoded.body ?? new ReadableStream<Uint8Array>();
    return { bytes: await readChunks(streamChunks(stream), maxBytes), contentType: encoded.headers.get('content-type') ?? undefined };
  }
  if (typeof ReadableStream !== 'undefined' && body instanceof ReadableStream) {
    return { bytes: await readChunks(streamChunks(body as ReadableStream<Uint8Array>), maxBytes), contentType: undefined };
  }
  if (typeof body === 'object' && Symbol.asyncIterator in body) {
    return { bytes: await readChunks(body as AsyncIterable<unknown>, maxBytes), contentType: undefined };
  }
  if (typeof body === 'object' && isPlainJson(body)) return checked(encoder.encode(JSON.stringify(body)), 'application/json', maxBytes);
  throw new SignetError('invalid_request', { detail: `Cannot sign a body of type ${Object.prototype.toString.call(body)}.` });
}
