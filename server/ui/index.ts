/**
 * The web UI (docs/ui.md): its static files at /ui/ (the page and stylesheet from ui/, the compiled TypeScript
 * from dist/ui/), and its API at /v1/ui (behind the server token, as all of /v1). The page itself needs no token:
 * it holds nothing; it asks for the token (or takes it from ?token=) and sends it with every request.
 */
import express, { type Express } from 'express';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { VmRegistry } from '../vm/registry.js';
import { uiApi } from './api.js';

/** dist/server/ui → the repository (or package) root. */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const PAGE_DIR = join(ROOT, 'ui', 'static');
const SCRIPT_DIR = join(ROOT, 'dist', 'ui');

/** Only this server's own scripts, styles and channels: a page that shows guest data never runs anyone else's code. */
const CSP = "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; style-src 'self'; script-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

export function mountUi(app: Express, registry: VmRegistry): void {
  const headers = (res: express.Response) => {
    res.set('Content-Security-Policy', CSP);
    res.set('X-Content-Type-Options', 'nosniff');
    res.set('Referrer-Policy', 'no-referrer');
  };
  app.use('/ui/js', express.static(SCRIPT_DIR, { index: false, setHeaders: headers }));
  app.use('/ui', express.static(PAGE_DIR, { index: 'index.html', setHeaders: headers }));
  app.use('/v1/ui', uiApi(registry));
}
