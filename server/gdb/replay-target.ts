/**
 * gdb on a replay: every resume is a travel in the recording (continue and step forwards, reverse-continue and
 * reverse-step backwards), gdb's breakpoints and watchpoints are the traveller's observer triggers, and nothing
 * gdb does can change the recorded run: register and memory writes are refused, as rr refuses them.
 */
import type { VmLink } from '../../client-sdk/index.js';
import { TargetError, type ResumeAction, type StopReason, type TargetCapabilities } from './target.js';
import { VmTarget } from './vm-target.js';

const READ_ONLY = 'a replay cannot be changed: it shows what the recorded run did (monitor diversion leaves it to try something)';

export class ReplayTarget extends VmTarget {
  readonly capabilities: TargetCapabilities = { reverse: true, write: false };

  constructor(link: VmLink) {
    super(link);
  }

  protected async setBreakpoint(addr: bigint, add: boolean): Promise<void> {
    await this.request({ op: 'breakpoint', pc: addr, add });
  }

  protected async setWatchpoint(addr: bigint, len: number, kind: { read: boolean; write: boolean } | null): Promise<void> {
    await this.request({ op: 'watchpoint', addr, len, read: kind?.read ?? false, write: kind?.write ?? false, add: kind !== null });
  }

  /** Refused unless in a diversion (the VM knows: it refuses writes to the recorded run). */
  async writeRegister(regnum: number, value: bigint): Promise<void> {
    const body = await this.registerWrite(regnum, value);
    await this.readOnlyUnlessDiverted(() => this.request(body));
  }

  async writeMemory(addr: bigint, data: Uint8Array): Promise<void> {
    const pieces = await (await this.addressSpace()).pieces(addr, data.length);
    if (pieces === null) throw new TargetError('BAD_ADDRESS', `0x${addr.toString(16)} is not mapped`);
    for (const p of pieces) await this.readOnlyUnlessDiverted(() => this.request({ op: 'write-mem', addr: p.pa, data: data.subarray(p.offset, p.offset + p.len) }));
  }

  private async readOnlyUnlessDiverted(write: () => Promise<unknown>): Promise<void> {
    try {
      await write();
    } catch (e) {
      throw e instanceof TargetError && e.code === 'NOT_SUPPORTED' ? new TargetError('REPLAY_READ_ONLY', READ_ONLY) : e;
    } finally {
      this.forget();
    }
  }

  resume(action: ResumeAction): Promise<StopReason> {
    return this.travel(action);
  }

  /** A travel runs to its end in one request: there is nothing to interrupt in between. */
  interrupt(): void {}

  async detach(): Promise<void> {}

  async kill(): Promise<void> {
    await this.request({ op: 'stop', reason: 'stopped', exitCode: 0 }).catch(() => {});
  }
}
