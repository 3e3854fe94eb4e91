/**
 * The three ways gdb meets a VM, each one GDB stub over one target adapter:
 * - a recording replayed in this process (`hindsight replay FILE --gdb PORT`), standing at its first instruction;
 * - a live machine in this process (`hindsight run|record FILE --gdb PORT`), waiting at its first instruction as
 *   QEMU's `-s -S` does, its devices answered by the built-in models;
 * - a VM of `hindsight serve` (`hindsight gdb --url ... --vm ID --token T --port PORT`): a bridge that speaks RSP to
 *   gdb and the WebSocket protocol to the server, where it is the VM's controller.
 */
import { ProtocolError, VmConnection, type VmEnd, type VmLink } from '../../client-sdk/index.js';
import { DEFAULT_CHECKPOINTS, DEFAULT_SLICE_INSNS } from '../config.js';
import { InProcessVm } from '../vm/in-process-vm.js';
import type { LiveInit } from '../vm/worker-messages.js';
import { GdbServer } from './gdb-server.js';
import { LiveTarget } from './live-target.js';
import { ReplayTarget } from './replay-target.js';
import type { StubEnd, StubOptions } from './stub.js';

export interface GdbPort {
  /** The TCP port on 127.0.0.1 (0: any free one). */
  port: number;
  /** Told the port once it listens (the CLI prints how to connect). */
  listening?: (port: number) => void;
  stub?: StubOptions;
}

/** How a session with a live VM ended: how gdb left, and the run's end (null when it has not ended). */
export interface LiveSessionEnd {
  gdb: StubEnd;
  end: VmEnd | null;
}

/** Serves one gdb session on a recording; resolves when gdb has gone. */
export async function replayUnderGdb(journalPath: string, gdb: GdbPort): Promise<StubEnd> {
  const vm = new InProcessVm({ kind: 'replay', id: 'replay', journalPath, sliceInsns: DEFAULT_SLICE_INSNS, checkpoints: DEFAULT_CHECKPOINTS });
  try {
    return await serveOnce(new ReplayTarget(vm), gdb);
  } finally {
    await vm.close();
  }
}

/** The machine to run under gdb: as a server's VM is made (`recordPath` null: unrecorded), and its console. */
export type LiveMachine = Pick<LiveInit, 'image' | 'imageName' | 'ramSize' | 'bootargs' | 'initrd' | 'recordPath'> & {
  /** Console input for the UART and the SBI console. */
  input?: Uint8Array;
  onConsole(bytes: Uint8Array): void;
};

/**
 * Runs a machine under gdb: it waits at its first instruction until gdb resumes it. Once gdb detaches (or its
 * connection drops) the guest runs on to its end; once gdb kills it the run ends there.
 */
export async function runUnderGdb(machine: LiveMachine, gdb: GdbPort): Promise<LiveSessionEnd> {
  const { input, onConsole, ...config } = machine;
  const vm = new InProcessVm({ kind: 'live', id: 'live', ...config, sliceInsns: DEFAULT_SLICE_INSNS, checkpoints: DEFAULT_CHECKPOINTS });
  // SIGINT or SIGTERM to hindsight (not gdb's Ctrl-C, which reaches the stub) ends the run where it stands, its
  // journal closed, as they end `hindsight run` (130, 143), and gdb's connection with it.
  let server: GdbServer | null = null;
  const stop = (exitCode: number) => {
    void vm.request({ op: 'stop', reason: 'interrupted', exitCode }).catch(() => {}).finally(() => server?.disconnect());
  };
  const onSigint = () => stop(130), onSigterm = () => stop(143);
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigterm);
  try {
    return await driveLive(vm, { recorded: machine.recordPath !== null, onConsole, input }, gdb, (s) => { server = s; });
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigterm);
    await vm.close();
  }
}

/** The bridge to a VM of `hindsight serve`: its channel at `channelUrl` (ws://HOST:PORT/v1/vms/ID/channel). */
export async function bridgeToGdb(channelUrl: string, token: string, gdb: GdbPort, console: (bytes: Uint8Array) => void): Promise<LiveSessionEnd> {
  const conn = await VmConnection.open(channelUrl, { token, role: 'controller' }).catch((e: unknown) => {
    // A refused or unresolvable address is the user's to fix, as a refused hello is.
    throw e instanceof ProtocolError ? e : new ProtocolError('CONNECT_FAILED', e instanceof Error ? e.message : String(e));
  });
  try {
    if (conn.welcome.vm.kind === 'replay') return { gdb: await serveOnce(new ReplayTarget(conn), gdb), end: null };
    // A VM of the service records unless it was created with record: false; an unrecorded one refuses the reverse
    // verbs with NOT_SUPPORTED, which gdb shows.
    return await driveLive(conn, { recorded: true, onConsole: console }, gdb);
  } finally {
    await conn.close();
  }
}

async function driveLive(
  link: VmLink, options: { recorded: boolean; onConsole: (bytes: Uint8Array) => void; input?: Uint8Array }, gdb: GdbPort,
  onServer?: (server: GdbServer) => void,
): Promise<LiveSessionEnd> {
  const target = await LiveTarget.attach(link, options);
  const how = await serveOnce(target, gdb, onServer);
  // gdb dropped without detaching: as when it detaches, the guest goes on (QEMU does the same).
  if (how === 'disconnected') await target.detach().catch(() => {});
  if (how !== 'killed' && target.ended === null) await target.vmm.ended;
  return { gdb: how, end: target.ended };
}

async function serveOnce(target: ReplayTarget | LiveTarget, gdb: GdbPort, onServer?: (server: GdbServer) => void): Promise<StubEnd> {
  const server = await GdbServer.listen(gdb.port);
  onServer?.(server);
  gdb.listening?.(server.port);
  try {
    return await server.serve(target, gdb.stub);
  } finally {
    await server.close();
  }
}
