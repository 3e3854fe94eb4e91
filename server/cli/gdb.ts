/**
 * gdb on hindsight's VMs: `run|record|replay ... --gdb PORT` serve a local machine or recording to gdb, and
 * `hindsight gdb` bridges gdb to a VM of `hindsight serve`. The stub itself is server/gdb/; this is the command
 * line around it (docs/gdb.md).
 */
import type { VmEnd } from '../../client-sdk/index.js';
import type { GdbPort, LiveMachine } from '../gdb/index.js';

/** The stub is loaded when a command uses it, not at every start of the CLI. */
const stub = () => import('../gdb/index.js');
import { CliError } from './cli-error.js';
import { defineCommand, option, parsePort, value } from './command.js';

/** `--gdb PORT` as run, record and replay take it. */
export const GDB_OPTION = option('PORT', 'serve gdb on 127.0.0.1:PORT (0: any free port) and wait for it at the first instruction\n(in gdb: target remote :PORT); see docs/gdb.md', parsePort);

/** Options `--gdb` cannot honour: the stub drives the machine, not the run loop these belong to. */
export const NOT_WITH_GDB = ['max-insns', 'exit-log', 'exit-log-regs', 'stats', 'verify', 'console', 'json', 'goto-exit', 'goto-icount', 'dump-regs', 'image'] as const;

export function refuseWithGdb(values: Record<string, unknown>): void {
  const clash = NOT_WITH_GDB.find((o) => values[o] !== undefined);
  if (clash !== undefined) throw new CliError('CLI_CONFLICT', `--${clash} does not go with --gdb`, true);
}

function gdbPort(port: number, what: string): GdbPort {
  return {
    port,
    listening: (p) => process.stderr.write(`[hindsight] gdb stub listening on 127.0.0.1:${p}: ${what} (in gdb: target remote :${p})\n`),
  };
}

/** `replay FILE --gdb PORT`: one gdb session on the recording; the exit status is 0 once gdb has gone. */
export async function replayWithGdb(journalPath: string, port: number): Promise<number> {
  if (journalPath === '-') throw new CliError('CLI_CONFLICT', 'replay --gdb needs the journal as a file, not stdin', true);
  await (await stub()).replayUnderGdb(journalPath, gdbPort(port, 'the replay stands at its first instruction'));
  return 0;
}

/** `run|record FILE --gdb PORT`: the machine waits for gdb; the exit status is the guest's, as for run. */
export async function runWithGdb(machine: Omit<LiveMachine, 'onConsole'>, port: number, quiet: boolean): Promise<number> {
  const what = `${machine.imageName} waits at its first instruction`;
  const { gdb, end } = await (await stub()).runUnderGdb({ ...machine, onConsole: (bytes) => process.stdout.write(bytes) }, gdbPort(port, what));
  if (!quiet) summarize(gdb, end, machine.recordPath);
  return end?.exitCode ?? 1;
}

function summarize(gdb: string, end: VmEnd | null, recordPath: string | null): void {
  if (end === null) {
    process.stderr.write(`[hindsight] gdb ${gdb}; the run did not end\n`);
    return;
  }
  const what = end.message !== undefined ? `${end.reason}: ${end.message}` : end.reason;
  process.stderr.write(`[hindsight] ${what}, exit code ${end.exitCode}, ${end.icount} instructions, ${end.exits} exits (gdb ${gdb})\n`);
  if (recordPath !== null && end.digest !== undefined) process.stderr.write(`[hindsight] recorded ${recordPath}, final digest ${end.digest}\n`);
}

export const gdbCommand = defineCommand({
  name: 'gdb',
  summary: 'bridge gdb to a VM of hindsight serve: RSP on 127.0.0.1:PORT, the VM\'s channel on the server',
  usage: ['--url http://HOST:PORT --vm ID --token VM_TOKEN --port PORT'],
  description: `Serves one gdb session (target remote :PORT) on a VM of \`hindsight serve\`, as its controller: a live VM runs
with the built-in device models answering its exits (its console is printed here) and everything gdb does goes
into its journal; a replay VM travels in its recording forwards and backwards. The VM token is the one its
creation returned ($HINDSIGHT_VM_TOKEN when --token is not given). See docs/gdb.md.`,
  options: {
    url: value('URL', 'the server (http://127.0.0.1:8080)'),
    vm: value('ID', 'the VM\'s id'),
    token: value('TOKEN', 'the VM\'s token (otherwise $HINDSIGHT_VM_TOKEN)'),
    port: option('PORT', 'the TCP port on 127.0.0.1 gdb connects to (0: any free port)', parsePort),
  },
  positionals: { min: 0, max: 0, names: [] },
  async run({ values }) {
    const token = values.token ?? process.env.HINDSIGHT_VM_TOKEN;
    const missing = values.url === undefined ? '--url' : values.vm === undefined ? '--vm' : token === undefined ? '--token' : values.port === undefined ? '--port' : null;
    if (missing !== null) throw new CliError('CLI_MISSING_ARGUMENT', `hindsight gdb needs ${missing}`, true);
    const url = `${values.url!.replace(/\/$/, '').replace(/^http/, 'ws')}/v1/vms/${encodeURIComponent(values.vm!)}/channel`;
    try {
      const { gdb, end } = await (await stub()).bridgeToGdb(url, token!, gdbPort(values.port!, `VM ${values.vm}`), (bytes) => process.stdout.write(bytes));
      summarize(gdb, end, null);
      return end?.exitCode ?? 0;
    } catch (e) {
      // The SDK's connection (and ws with it) is loaded only for this command.
      const { ProtocolError } = await import('../../client-sdk/remote/connection.js');
      if (e instanceof ProtocolError) throw new CliError('CLI_CONNECT_FAILED', `VM ${values.vm} at ${values.url}: ${e.message}`);
      throw e;
    }
  },
});
