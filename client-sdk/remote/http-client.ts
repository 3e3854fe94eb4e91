/** The service's HTTP API (docs/protocol.md): VMs, recordings, replays. Errors reject as coded ProtocolErrors. */
import type { RecordingInfo, Role, VmSummary } from '../protocol.js';
import { ProtocolError, VmConnection } from './connection.js';

/** A VM as GET /v1/vms/:id describes it: the summary plus the live figures. */
export interface VmInfo extends VmSummary {
  waitingSeq?: number;
  stats?: { icount: number; exits: number; rows: { event: string; kind: string; count: number }[] } | null;
}

/** A VM just created: what it takes to attach to it. */
export interface CreatedVm extends VmInfo {
  token: string;
  channel: string;
}

export interface CreateVmOptions {
  /** An image from the server's guests folder, by file name... */
  guest?: string;
  /** ...or the image bytes, uploaded. */
  image?: Uint8Array;
  name?: string;
  ramMib?: number;
  bootargs?: string;
  /** An initial ramdisk from the server's guests folder, by file name (for a Linux Image). */
  initrd?: string;
  /** Recording is on unless this is false. */
  record?: boolean;
}

export class HindsightClient {
  readonly baseUrl: string;
  private readonly token: string;

  constructor(baseUrl: string, token: string) {
    this.baseUrl = baseUrl.replace(/\/$/, '');
    this.token = token;
  }

  private async call<T>(method: string, path: string, body?: { json?: unknown; bytes?: Uint8Array }, raw = false): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}` };
    let payload: string | Uint8Array | undefined;
    if (body?.json !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body.json);
    } else if (body?.bytes !== undefined) {
      headers['content-type'] = 'application/octet-stream';
      payload = body.bytes;
    }
    const res = await fetch(`${this.baseUrl}${path}`, { method, headers, body: payload });
    if (!res.ok) {
      const err = await res.json().catch(() => null) as { error?: { code: string; message: string } } | null;
      throw new ProtocolError(err?.error?.code ?? `HTTP_${res.status}`, err?.error?.message ?? res.statusText);
    }
    if (raw) return new Uint8Array(await res.arrayBuffer()) as T;
    if (res.status === 204) return undefined as T;
    return await res.json() as T;
  }

  createVm(options: CreateVmOptions): Promise<CreatedVm> {
    if (options.image !== undefined) {
      const q = new URLSearchParams();
      for (const [k, v] of Object.entries({ name: options.name, ramMib: options.ramMib, bootargs: options.bootargs, initrd: options.initrd, record: options.record })) {
        if (v !== undefined) q.set(k, String(v));
      }
      return this.call('POST', `/v1/vms?${q}`, { bytes: options.image });
    }
    const { image: _image, ...json } = options;
    return this.call('POST', '/v1/vms', { json });
  }

  listVms(): Promise<VmInfo[]> {
    return this.call('GET', '/v1/vms');
  }

  getVm(id: string): Promise<VmInfo> {
    return this.call('GET', `/v1/vms/${encodeURIComponent(id)}`);
  }

  stopVm(id: string): Promise<VmInfo> {
    return this.call('POST', `/v1/vms/${encodeURIComponent(id)}/stop`);
  }

  deleteVm(id: string): Promise<void> {
    return this.call('DELETE', `/v1/vms/${encodeURIComponent(id)}`);
  }

  listRecordings(): Promise<RecordingInfo[]> {
    return this.call('GET', '/v1/recordings');
  }

  downloadRecording(name: string): Promise<Uint8Array> {
    return this.call('GET', `/v1/recordings/${encodeURIComponent(name)}`, undefined, true);
  }

  /** A replay session of a recording: a VM that re-runs it, answering its exits from the journal. */
  startReplay(recording: string): Promise<CreatedVm> {
    return this.call('POST', '/v1/replays', { json: { recording } });
  }

  /** Opens a VM's channel. */
  connect(vm: { id: string; token: string }, role: Role = 'controller'): Promise<VmConnection> {
    const url = `${this.baseUrl.replace(/^http/, 'ws')}/v1/vms/${encodeURIComponent(vm.id)}/channel`;
    return VmConnection.open(url, { token: vm.token, role });
  }
}
