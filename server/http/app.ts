/**
 * The HTTP side (express): VMs, recordings, replays, health and metrics. Every /v1 route needs the server token.
 * Errors are JSON bodies {error: {code, message}} with a stable code.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import { bearer, tokensEqual } from '../auth.js';
import type { ServerOptions } from '../config.js';
import type { Logger } from '../log.js';
import type { ServerMetrics } from '../metrics.js';
import type { VmHandle } from '../vm/vm-handle.js';
import { VmRequestError } from '../vm/vm-request-error.js';
import { stopVm, type VmRegistry } from '../vm/registry.js';
import { hasBody, mediaType, readBody, readJson } from './body.js';
import { HttpError } from './http-error.js';
import { mountUi } from '../ui/index.js';
import { createVmJson, createVmQuery, parseRequest, replayJson } from './request-schemas.js';

const STATUS_BY_CODE: Record<string, number> = {
  UNAUTHORIZED: 401, VM_NOT_FOUND: 404, GUEST_NOT_FOUND: 404, RECORDING_NOT_FOUND: 404, NOT_FOUND: 404,
  VM_LIMIT: 429, PAYLOAD_TOO_LARGE: 413, VM_ENDED: 409, EXIT_PENDING: 409, NO_GUESTS_DIR: 400,
};

function httpStatus(code: string): number {
  if (code in STATUS_BY_CODE) return STATUS_BY_CODE[code];
  if (code.startsWith('BAD_') || code.startsWith('ELF_') || code.startsWith('JOURNAL_') || code.startsWith('FDT_')) return 400;
  return 500;
}

/** The largest JSON description of a VM or a replay. */
const JSON_LIMIT = 64 * 1024;

function sendError(res: Response, code: string, message: string, status = httpStatus(code), headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  // A body nobody read is not read now either: the connection closes after the reply (Node would otherwise read the
  // rest of the request to keep the connection alive, however large it is).
  if (!res.req.complete) res.setHeader('Connection', 'close');
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.locals.error = { code, message };
  res.status(status).json({ error: { code, message } });
}

/**
 * Errors other layers raise, as replies: ours (HttpError, VmRequestError), then express's and send's own, which
 * carry an HTTP status (a malformed %-escape in a path parameter is 400, an unsatisfiable Range 416).
 */
function replyToError(err: unknown, res: Response): void {
  if (err instanceof HttpError) return sendError(res, err.code, err.message, err.status, err.headers);
  if (err instanceof VmRequestError) return sendError(res, err.code, err.message);
  const e = err as { status?: number; message?: string; headers?: Record<string, string>; code?: string };
  const status = typeof e.status === 'number' ? e.status : 500;
  if (err instanceof URIError || (status === 400 && /decode param/.test(e.message ?? ''))) {
    return sendError(res, 'BAD_PATH', 'the path has a malformed %-escape', 400);
  }
  if (status === 416) return sendError(res, 'RANGE_NOT_SATISFIABLE', 'the Range asked for is outside the file', 416, e.headers ?? {});
  if (status === 404) return sendError(res, 'NOT_FOUND', e.message ?? 'not found', 404);
  if (status >= 400 && status < 500) return sendError(res, 'BAD_REQUEST', e.message ?? 'bad request', status);
  sendError(res, 'INTERNAL', e.message ?? String(err), 500);
}

/** What a client needs to reach a VM it just created. */
function created(vm: VmHandle): Record<string, unknown> {
  return { ...vm.summary(), token: vm.token, channel: `/v1/vms/${vm.id}/channel` };
}

const asyncRoute = (fn: (req: Request, res: Response) => Promise<void> | void) =>
  (req: Request, res: Response, next: NextFunction) => {
    Promise.resolve(fn(req, res)).catch(next);
  };

export function createApp(options: ServerOptions, registry: VmRegistry, metrics: ServerMetrics, log: Logger): express.Express {
  const app = express();
  app.disable('x-powered-by');
  // Every reply is counted by method and status; an error reply is logged with its code (5xx as errors).
  app.use((req, res, next) => {
    res.on('finish', () => {
      metrics.httpRequest(req.method, res.statusCode);
      if (res.statusCode < 400) return;
      const error = res.locals.error as { code: string; message: string } | undefined;
      const fields = { method: req.method, path: req.path, status: res.statusCode, code: error?.code, error: error?.message };
      if (res.statusCode >= 500) log.error(fields, 'http request failed');
      else log.warn(fields, 'http request refused');
    });
    next();
  });

  app.get('/healthz', (_req, res) => {
    res.json({ ok: true, vms: registry.list().length });
  });

  app.get('/metrics', asyncRoute(async (_req, res) => {
    const { contentType, text } = await metrics.render();
    res.type(contentType).send(text);
  }));

  app.use('/v1', (req, res, next) => {
    const token = bearer(req.get('authorization'));
    if (token === null || !tokensEqual(token, options.token)) return sendError(res, 'UNAUTHORIZED', 'the server token is needed (Authorization: Bearer ...)');
    next();
  });

  // An image upload is the raw ELF bytes; anything else is a JSON description.
  app.post('/v1/vms', asyncRoute(async (req, res) => {
    const { type } = mediaType(req);
    const upload = type === 'application/octet-stream';
    if (!upload && type !== 'application/json' && hasBody(req)) {
      throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', 'the body is a JSON description (application/json) or the image (application/octet-stream)');
    }
    let image: Uint8Array, name: string, params: { ramMib?: number; bootargs?: string; initrd?: string; record?: boolean };
    if (upload) {
      // The query is checked before the upload is read.
      const query = parseRequest(createVmQuery, { ...req.query });
      image = new Uint8Array(await readBody(req, options.limits.maxUploadBytes));
      name = query.name ?? 'upload.elf';
      params = query;
    } else {
      const body = parseRequest(createVmJson, (await readJson(req, JSON_LIMIT)) ?? {}, 'a name in the guests folder, or upload the image as application/octet-stream');
      image = registry.readGuest(body.guest);
      name = body.guest;
      params = body;
    }
    // An initrd is always a file of the guests folder (a Linux guest's initramfs), with either form.
    const vm = await registry.createLive({
      image, name, ramMib: params.ramMib, bootargs: params.bootargs,
      initrd: params.initrd === undefined ? undefined : registry.readGuest(params.initrd), record: params.record,
    });
    res.status(201).json(created(vm));
  }));

  app.get('/v1/vms', (_req, res) => {
    res.json(registry.list().map((vm) => vm.summary()));
  });

  app.get('/v1/vms/:id', asyncRoute(async (req, res) => {
    const vm = registry.get(String(req.params.id));
    let stats: unknown = null, status: Record<string, unknown> = {};
    if (vm.end === null) {
      // The worker knows the live figures; the main thread has them as of the worker's last report (up to 250 ms old).
      [stats, status] = await Promise.all([vm.request({ op: 'stats' }), vm.request({ op: 'status' }) as Promise<Record<string, unknown>>]);
    }
    const { waiting: _waiting, ...live } = status;
    res.json({ ...vm.summary(), ...live, stats });
  }));

  app.post('/v1/vms/:id/stop', asyncRoute(async (req, res) => {
    const vm = registry.get(String(req.params.id));
    await stopVm(vm);
    res.json(vm.summary());
  }));

  app.delete('/v1/vms/:id', asyncRoute(async (req, res) => {
    await registry.delete(String(req.params.id));
    res.status(204).end();
  }));

  app.get('/v1/recordings', (_req, res) => {
    res.json(registry.recordings());
  });

  app.get('/v1/recordings/:name', (req, res, next) => {
    const path = registry.recordingPath(String(req.params.name));
    res.type('application/octet-stream').sendFile(path, (err) => {
      if (err !== undefined && err !== null) next(err);
    });
  });

  app.post('/v1/replays', asyncRoute(async (req, res) => {
    const { recording } = parseRequest(replayJson, (await readJson(req, JSON_LIMIT)) ?? {}, 'the name of the recording to replay');
    const vm = await registry.createReplay(recording);
    res.status(201).json(created(vm));
  }));

  mountUi(app, registry);

  app.use((_req: Request, res: Response) => sendError(res, 'NOT_FOUND', 'no such route'));

  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => replyToError(err, res));

  return app;
}

