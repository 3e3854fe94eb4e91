/**
 * The CLI's commands, in the order `hindsight --help` lists them. A new command is a file exporting a
 * defineCommand(...) value (command.ts) and one line here.
 */
import { benchCommand } from './bench.js';
import type { Command } from './command.js';
import { exportCommand } from './export.js';
import { gdbCommand } from './gdb.js';
import { inspectCommand } from './inspect.js';
import { lsCommand } from './ls.js';
import { replayCommand } from './replay.js';
import { recordCommand, runCommand } from './run.js';
import { serveCommand } from './serve.js';

export const COMMANDS: readonly Command[] = [
  runCommand,
  recordCommand,
  replayCommand,
  inspectCommand,
  exportCommand,
  lsCommand,
  serveCommand,
  gdbCommand,
  benchCommand,
];
