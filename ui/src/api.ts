/**
 * The server's HTTP API, with the server token: taken from `?token=` the first time (as Jupyter does), kept in
 * sessionStorage for the tab, and removed from the address bar so it is not bookmarked or shared with a link.
 */
const KEY = 'hindsight-token';

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

export function takeTokenFromUrl(): void {
  const url = new URL(location.href);
  const token = url.searchParams.get('token');
  if (token === null) return;
  sessionStorage.setItem(KEY, token);
  url.searchParams.delete('token');
  history.replaceState(null, '', url.pathname + url.search + url.hash);
}

export function token(): string | null {
  return sessionStorage.getItem(KEY);
}

export function setToken(t: string): void {
  sessionStorage.setItem(KEY, t);
}

export function forgetToken(): void {
  sessionStorage.removeItem(KEY);
}

async function call(path: string, init: RequestInit = {}): Promise<Response> {
  const res = await fetch(path, { ...init, headers: { ...(init.headers ?? {}), Authorization: `Bearer ${token() ?? ''}` } });
  if (!res.ok) {
    let code = 'HTTP_' + res.status, message = res.statusText;
    try {
      const body = await res.json() as { error?: { code: string; message: string } };
      if (body.error) ({ code, message } = body.error);
    } catch { /* not JSON */ }
    throw new ApiError(res.status, code, message);
  }
  return res;
}

export async function getJson<T>(path: string): Promise<T> {
  return (await call(path)).json() as Promise<T>;
}

export async function postJson<T>(path: string, body: unknown): Promise<T> {
  return (await call(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) })).json() as Promise<T>;
}

export async function getBinary(path: string): Promise<ArrayBuffer> {
  return (await call(path)).arrayBuffer();
}

/** Deletes a VM; `keepalive` lets it go out while the page unloads. */
export function deleteVm(id: string, keepalive = false): Promise<void> {
  return call(`/v1/vms/${encodeURIComponent(id)}`, { method: 'DELETE', keepalive }).then(() => undefined);
}

/**
 * The protocol's shapes the page reads, as client-sdk/protocol.ts defines them: the browser code is compiled on its
 * own (lib DOM, into dist/ui/), so it cannot import the server's modules, types included.
 */
export interface VmSummary {
  id: string;
  kind: 'live' | 'replay';
  name: string;
  state: string;
  icount: number;
  exits: number;
  exitsByReason: Record<string, number>;
  recording: string | null;
  controller: boolean;
  observers: number;
  createdAt: string;
  end?: { reason: string; exitCode: number };
}

export interface RecordingInfo {
  name: string;
  bytes: number;
  modified: string;
  vm?: string;
}

export interface ExitDetail {
  seq: number;
  icount: number;
  reason: string;
  pc: string;
  fields: [string, string | number | boolean][];
}

export interface DisasmLine {
  pc: string;
  bytes: string;
  text: string;
  label?: string;
}
