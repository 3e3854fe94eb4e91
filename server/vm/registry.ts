/** The server's VMs: creating them within the limits, finding them, ending them. */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { newToken } from '../auth.js';
import type { ServerOptions } from '../config.js';
import type { Logger } from '../log.js';
import type { ServerMetrics } from '../metrics.js';
import { CLOSE, type RecordingInfo } from '../../client-sdk/protocol.js';
import { VmHandle } from './vm-handle.js';
import { VmRequestError } from './vm-request-error.js';

export interface CreateVm {
  image: Uint8Array;
  name: string;
  ramMib?: number;
  bootargs?: string;
  /** An initial ramdisk (for a Linux Image). */
  initrd?: Uint8Array;
  record?: boolean;
}

const RECORDING_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}\.hsj$/;

export class VmRegistry {
  private readonly vms = new Map<string, VmHandle>();
  private creating = 0;

  constructor(private readonly options: ServerOptions, private readonly metrics: ServerMetrics, private readonly log: Logger) {}

  get recordingsDir(): string {
    return join(this.options.dataDir, 'recordings');
  }

  /**
   * Room for one more VM. Only VMs that have not ended count toward --max-vms. An ended VM keeps its worker (its
   * clients may still look at it and travel in its past) until the room is needed: then ended VMs that no client is
   * attached to are deleted, oldest first, so that at most max-vms workers run besides ended VMs still in use.
   */
  private async reserve(): Promise<void> {
    const { maxVms } = this.options.limits;
    const running = this.list().filter((vm) => vm.end === null).length;
    if (running + this.creating >= maxVms) throw new VmRequestError('VM_LIMIT', `the server runs at most ${maxVms} VMs at once (ended VMs do not count)`);
    this.creating++;
    try {
      const idle = this.list().filter((vm) => vm.end !== null && vm.clients === 0);
      for (let excess = this.vms.size + this.creating - maxVms; excess > 0 && idle.length > 0; excess--) {
        const vm = idle.shift()!;
        if (this.vms.has(vm.id)) await this.delete(vm.id, { code: CLOSE.VM_DELETED, reason: 'an ended VM made room for a new one' });
      }
    } catch (e) {
      this.creating--;
      throw e;
    }
  }

  private newId(): string {
    return `vm-${randomBytes(6).toString('hex')}`;
  }

  async createLive(req: CreateVm): Promise<VmHandle> {
    const ramMib = req.ramMib ?? this.options.defaultRamMib;
    if (!Number.isInteger(ramMib) || ramMib < 16 || ramMib > this.options.limits.maxRamMib) {
      throw new VmRequestError('BAD_RAM_SIZE', `RAM must be a whole number of MiB in [16, ${this.options.limits.maxRamMib}]`);
    }
    await this.reserve();
    try {
      const id = this.newId();
      const recording = req.record === false ? null : `${id}.hsj`;
      const vm = await VmHandle.start({
        kind: 'live', id, image: req.image, imageName: req.name, ramSize: ramMib * 1024 * 1024,
        bootargs: req.bootargs, initrd: req.initrd,
        recordPath: recording === null ? null : join(this.recordingsDir, recording), fsync: this.options.fsync, sliceInsns: this.options.sliceInsns,
        checkpoints: this.options.checkpoints, token: newToken(), limits: this.options.limits,
      }, req.name, recording, this.metrics, this.log);
      return this.add(vm);
    } finally {
      this.creating--;
    }
  }

  async createReplay(recording: string): Promise<VmHandle> {
    const path = this.recordingPath(recording);
    await this.reserve();
    try {
      const vm = await VmHandle.start({
        kind: 'replay', id: this.newId(), journalPath: path, sliceInsns: this.options.sliceInsns, checkpoints: this.options.checkpoints,
        token: newToken(), limits: this.options.limits,
      }, recording, null, this.metrics, this.log);
      return this.add(vm);
    } finally {
      this.creating--;
    }
  }

  private add(vm: VmHandle): VmHandle {
    this.vms.set(vm.id, vm);
    this.metrics.vmCreated();
    this.log.info({ vm: vm.id, kind: vm.kind, name: vm.name, recording: vm.recording }, 'vm created');
    return vm;
  }

  get(id: string): VmHandle {
    const vm = this.vms.get(id);
    if (vm === undefined) throw new VmRequestError('VM_NOT_FOUND', `no VM ${id}`);
    return vm;
  }

  find(id: string): VmHandle | undefined {
    return this.vms.get(id);
  }

  list(): VmHandle[] {
    return [...this.vms.values()];
  }

  /**
   * Ends the VM's run (closing its journal) if it has not ended, closes its clients' channels (VM_DELETED, or the
   * given status), then ends its worker.
   */
  async delete(id: string, close: { code: number; reason: string } = { code: CLOSE.VM_DELETED, reason: 'the VM was deleted' }, endReason = 'stopped'): Promise<void> {
    const vm = this.get(id);
    this.vms.delete(id);
    await stopVm(vm, endReason);
    await vm.closeChannels(close.code, close.reason);
    await vm.terminate();
    this.log.info({ vm: id, reason: close.reason }, 'vm deleted');
  }

  /**
   * The server stops: every VM is ended (its journal closed with `endReason`: `interrupted` when a signal stops the
   * server) and its clients told the server is going away.
   */
  async closeAll(endReason = 'stopped'): Promise<void> {
    await Promise.all(this.list().map((vm) => this.delete(vm.id, { code: CLOSE.GOING_AWAY, reason: 'server shutting down' }, endReason)));
  }

  /** A guest image (or initrd) by name from the configured folder: a bare file name, no paths, a regular file. */
  readGuest(name: string): Uint8Array {
    const dir = this.options.guestsDir;
    if (dir === null) throw new VmRequestError('NO_GUESTS_DIR', 'this server has no guests folder; upload the image');
    // An empty name would be the folder itself.
    if (name === '' || basename(name) !== name || name.startsWith('.') || name.includes('\0')) {
      throw new VmRequestError('BAD_GUEST_NAME', 'a guest is named by its file name only');
    }
    const path = join(dir, name);
    const missing = () => new VmRequestError('GUEST_NOT_FOUND', `no guest ${name} in the guests folder`);
    let st;
    try {
      st = statSync(path);
    } catch {
      throw missing();
    }
    if (!st.isFile()) throw missing();
    if (st.size > this.options.limits.maxUploadBytes) {
      throw new VmRequestError('PAYLOAD_TOO_LARGE', `guest ${name} is larger than the ${this.options.limits.maxUploadBytes} bytes an image may have`);
    }
    try {
      return readFileSync(path);
    } catch (e) {
      throw new VmRequestError('GUEST_NOT_FOUND', `guest ${name} cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
  }

  recordingPath(name: string): string {
    if (!RECORDING_NAME.test(name)) throw new VmRequestError('BAD_RECORDING_NAME', 'a recording is named like vm-1234abcd.hsj');
    const path = join(this.recordingsDir, name);
    if (!existsSync(path) || !statSync(path).isFile()) throw new VmRequestError('RECORDING_NOT_FOUND', `no recording ${name}`);
    return path;
  }

  recordings(): RecordingInfo[] {
    if (!existsSync(this.recordingsDir)) return [];
    const live = new Map(this.list().filter((vm) => vm.recording !== null && vm.end === null).map((vm) => [vm.recording!, vm.id]));
    return readdirSync(this.recordingsDir).filter((f) => RECORDING_NAME.test(f)).sort().map((name) => {
      const st = statSync(join(this.recordingsDir, name));
      const vm = live.get(name);
      return { name, bytes: st.size, modified: st.mtime.toISOString(), ...(vm !== undefined ? { vm } : {}) };
    });
  }
}

/** Ends a VM's run with this reason (its journal's end record says it) unless it already ended. */
export async function stopVm(vm: VmHandle, reason = 'stopped'): Promise<void> {
  if (vm.end !== null) return;
  try {
    await vm.request({ op: 'stop', reason, exitCode: 0 });
  } catch (e) {
    if (!(e instanceof VmRequestError) || e.code !== 'VM_ENDED') throw e;
  }
}
