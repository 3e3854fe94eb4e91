#!/usr/bin/env node
import { SimError } from '../../sim/index.js';
import { UsageError } from './args.js';
import { benchCommand } from './bench.js';
import { inspectCommand } from './inspect.js';
import { RECORD_USAGE, recordCommand, RUN_USAGE, runCommand } from './run.js';
import { replayCommand } from './replay.js';
import { SERVE_USAGE, serveCommand } from './serve.js';

const USAGE = `usage: hindsight <command> [options]

commands:
  run <guest.elf | Image>     run a guest (an ELF, or a Linux Image with --initrd/--append) with the built-in devices
  record <guest> -o F         run it and record a journal
  replay <run.hsj> [--verify] re-run a recording bit-exactly, comparing every exit
  inspect <run.hsj> [--json]  summarize a recording
  bench [journal|loopback|timetravel|linux]
                              run the CPU benchmarks in guests/build (and QEMU, when installed), or another one
  serve [--port 8080]         the service: VMs over HTTP, their exits over WebSocket (docs/protocol.md)

${RUN_USAGE}

${RECORD_USAGE}

${SERVE_USAGE}`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'run': return runCommand(rest);
    case 'record': return recordCommand(rest);
    case 'replay': return replayCommand(rest);
    case 'inspect': return inspectCommand(rest);
    case 'bench': return benchCommand(rest);
    case 'serve': return serveCommand(rest);
    case undefined: case 'help': case '--help': case '-h':
      process.stdout.write(`${USAGE}\n`);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`hindsight: unknown command '${command}'\n${USAGE}\n`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    if (err instanceof SimError || err instanceof UsageError) {
      process.stderr.write(`hindsight: ${err.message}\n`);
      process.exitCode = 2;
    } else if (err instanceof Error && 'code' in err && err.code === 'ENOENT') {
      process.stderr.write(`hindsight: ${err.message}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`hindsight: internal error: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exitCode = 70;
    }
  },
);
