/**
 * Reading a request body within the server's limits, every refusal a coded 4xx: a body declared larger than the
 * limit is refused before a byte of it is read (413), one that grows past it while streaming is cut there (413), an
 * unknown Content-Encoding or charset is 415, a corrupt gzip or deflate stream 400, and a compressed body is held
 * to the limit after decompression too (no zip bombs).
 *
 * Why not express.raw/express.json: on an error body-parser reads the rest of the request before answering, so a
 * client declaring 10 GB had the server read 10 GB before its 413; and its errors (encoding, charset, gzip) came
 * out as 500 here. A refusal from here closes the connection (Connection: close): what the client still sends is
 * never read.
 */
import type { IncomingMessage } from 'node:http';
import type { Transform } from 'node:stream';
import { createGunzip, createInflate } from 'node:zlib';
import { HttpError } from './http-error.js';

/** What kind of body a route takes: raw bytes (an image upload) or a JSON value. */
export type BodyKind = 'bytes' | 'json';

/** The declared Content-Length, or null when the body is chunked or absent. */
export function declaredLength(req: IncomingMessage): number | null {
  const v = req.headers['content-length'];
  if (v === undefined) return null;
  const n = Number(v);
  // Node's parser already refuses a malformed or duplicated Content-Length; this is belt and braces.
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n)) throw new HttpError(400, 'BAD_REQUEST', 'Content-Length is not a byte count');
  return n;
}

/** Whether the request carries a body at all (RFC 9112: a Content-Length above 0, or Transfer-Encoding). */
export function hasBody(req: IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || (declaredLength(req) ?? 0) > 0;
}

/** Refuses a body declared larger than `limit` without reading any of it. */
export function checkDeclaredLength(req: IncomingMessage, limit: number): void {
  const n = declaredLength(req);
  if (n !== null && n > limit) {
    throw new HttpError(413, 'PAYLOAD_TOO_LARGE', `the body is ${n} bytes; this server takes at most ${limit}`);
  }
}

/** The media type and its charset parameter, lower-cased ('' when absent). */
export function mediaType(req: IncomingMessage): { type: string; charset: string } {
  const header = req.headers['content-type'] ?? '';
  const [type, ...params] = header.split(';');
  let charset = '';
  for (const p of params) {
    const eq = p.indexOf('=');
    if (eq > 0 && p.slice(0, eq).trim().toLowerCase() === 'charset') charset = p.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1').toLowerCase();
  }
  return { type: type.trim().toLowerCase(), charset };
}

function decoder(req: IncomingMessage): IncomingMessage | Transform {
  const coding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  switch (coding) {
    case 'identity': case '': return req;
    case 'gzip': case 'x-gzip': return req.pipe(createGunzip());
    case 'deflate': return req.pipe(createInflate());
    default: throw new HttpError(415, 'UNSUPPORTED_ENCODING', `Content-Encoding ${JSON.stringify(coding)} is not supported (identity, gzip or deflate)`);
  }
}

/**
 * Reads the whole body, at most `limit` bytes after decoding. Rejects with an HttpError (413, 415, 400) without
 * reading further than needed to know.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  checkDeclaredLength(req, limit);
  const source = decoder(req);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const fail = (e: HttpError) => {
      if (settled) return;
      settled = true;
      if (source !== req) {
        req.unpipe(source as Transform);
        source.destroy();
      }
      req.pause();
      reject(e);
    };
    source.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) return fail(new HttpError(413, 'PAYLOAD_TOO_LARGE', `the body is larger than the ${limit} bytes this server takes`));
      chunks.push(chunk);
    });
    source.on('error', (e: Error & { code?: string }) => {
      fail(source === req
        ? new HttpError(400, 'BAD_BODY', `the body could not be read (${e.message})`)
        : new HttpError(400, 'BAD_BODY', `the body is not valid ${req.headers['content-encoding']} data (${e.message})`));
    });
    // A client that goes away in the middle: nothing to answer, but the promise must settle.
    req.on('aborted', () => fail(new HttpError(400, 'BAD_BODY', 'the client went away before the body was complete')));
    source.on('end', () => {
      if (settled) return;
      settled = true;
      resolve(Buffer.concat(chunks, size));
    });
  });
}

/** A JSON body: UTF-8 (the only charset JSON has, RFC 8259), parsed. */
export async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const { charset } = mediaType(req);
  if (charset !== '' && charset !== 'utf-8' && charset !== 'utf8') {
    throw new HttpError(415, 'UNSUPPORTED_CHARSET', `charset ${JSON.stringify(charset)} is not supported: JSON is UTF-8`);
  }
  const bytes = await readBody(req, limit);
  if (bytes.length === 0) return undefined;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new HttpError(400, 'BAD_REQUEST', 'the body is not valid UTF-8');
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HttpError(400, 'BAD_REQUEST', 'the body is not valid JSON');
  }
}
