import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { newToken } from '../auth.js';
import { DEFAULT_CHECKPOINTS, DEFAULT_LIMITS, DEFAULT_SLICE_INSNS, type ServerOptions } from '../config.js';
import { CliError } from './cli-error.js';
import { defineCommand, flag, oneOf, option, parsePort, parsePositive, value, type OptionTable, type OptionValues } from './command.js';
import { LOG_LEVELS } from '../log-levels.js';
import { readUserFile } from './files.js';

function serverToken(file: string | undefined, dataDir: string): { token: string; source: string } {
  if (file !== undefined) {
    const token = readUserFile(file, 'the token file').toString('utf8').trim();
    if (token.length < 16) throw new CliError('CLI_BAD_VALUE', `the token in ${file} is shorter than 16 characters`);
    return { token, source: file };
  }
  const env = process.env.HINDSIGHT_TOKEN;
  if (env !== undefined && env !== '') {
    if (env.length < 16) throw new CliError('CLI_BAD_VALUE', '$HINDSIGHT_TOKEN is shorter than 16 characters');
    return { token: env, source: '$HINDSIGHT_TOKEN' };
  }
  const path = join(dataDir, 'server-token');
  if (existsSync(path)) return { token: readFileSync(path, 'utf8').trim(), source: path };
  const token = newToken();
  writeFileSync(path, `${token}\n`, { mode: 0o600 });
  return { token, source: path };
}

const SERVE_OPTIONS = {
  port: option('N', 'listen on this port (default 8080; 0 picks a free one)', parsePort, { short: 'p' }),
  host: value('ADDR', 'bind address (default 127.0.0.1: loopback only unless told otherwise)'),
  data: value('DIR', 'recordings and the generated token live here (default ./hindsight-data)'),
  guests: value('DIR', 'images VMs may be created from by name (default: the bundled guests/build)'),
  'token-file': value('FILE', 'the server token (otherwise $HINDSIGHT_TOKEN, otherwise one is generated into DIR/server-token)'),
  'max-vms': option('N', `VMs alive at once; ended VMs do not count (default ${DEFAULT_LIMITS.maxVms})`, parsePositive),
  'max-ram-mib': option('N', `RAM one VM may have (default ${DEFAULT_LIMITS.maxRamMib})`, parsePositive),
  'max-frame-bytes': option('N', `largest WebSocket frame accepted (default ${DEFAULT_LIMITS.maxFrameBytes})`, parsePositive),
  'max-pending': option('N', `requests in flight per connection (default ${DEFAULT_LIMITS.maxPendingRequests})`, parsePositive),
  'max-upload-bytes': option('N', `largest image upload (default ${DEFAULT_LIMITS.maxUploadBytes})`, parsePositive),
  'checkpoint-insns': option('N', `checkpoint a recorded VM or a replay every N instructions (default ${DEFAULT_CHECKPOINTS.intervalInsns})`, parsePositive),
  'checkpoint-exits': option('N', `... or every N exits, whichever comes first (default ${DEFAULT_CHECKPOINTS.intervalExits})`, parsePositive),
  'checkpoint-budget-mib': option('N', `checkpoint memory per VM before spacing doubles (default ${DEFAULT_CHECKPOINTS.budgetBytes / (1 << 20)})`, parsePositive),
  'log-format': option('json|pretty', 'the log on stderr: JSON lines, or readable lines (default: pretty on a terminal, else json)', oneOf('json', 'pretty')),
  'log-level': option('LEVEL', `${LOG_LEVELS.join(', ')} (default info)`, oneOf(...LOG_LEVELS)),
  fsync: flag('fdatasync each journal after every write (before a client sees what was written), so recordings\nsurvive a power loss too, at a cost per exit (docs/journal.md, "Durability")'),
} satisfies OptionTable;

export const serveCommand = defineCommand({
  name: 'serve',
  summary: 'the service: VMs over HTTP, their exits over WebSocket (docs/protocol.md)',
  usage: ['[--port 8080] [--host 127.0.0.1] [--data DIR] [options]'],
  description: 'Prints "hindsight: listening on http://HOST:PORT" once it accepts connections; runs until SIGINT or SIGTERM.',
  options: SERVE_OPTIONS,
  positionals: { min: 0, max: 0, names: [] },
  run: (args) => serve(args.values),
});

async function serve(values: OptionValues<typeof SERVE_OPTIONS>): Promise<number> {
  // First, before any thread or output of ours: on glibc this starts the process again (execve, same pid) with the
  // allocator's thread caches off, so deleted VMs' memory goes back to the OS (vm/allocator-tunables.ts).
  const restartFailure = (await import('../vm/allocator-tunables.js')).restartWithAllocatorTunables();
  const dataDir = resolve(values.data ?? 'hindsight-data');
  if (statSync(dataDir, { throwIfNoEntry: false })?.isDirectory() === false) throw new CliError('CLI_NOT_A_DIRECTORY', `--data ${dataDir} is a file, not a folder`);
  mkdirSync(dataDir, { recursive: true });
  const bundled = resolve(dirname(fileURLToPath(import.meta.url)), '../../../guests/build');
  const guestsDir = values.guests !== undefined ? resolve(values.guests) : existsSync(bundled) ? bundled : null;
  if (guestsDir !== null && !statSync(guestsDir, { throwIfNoEntry: false })?.isDirectory()) {
    throw new CliError('CLI_NOT_A_DIRECTORY', `--guests ${guestsDir}: no such folder`);
  }
  const { token, source } = serverToken(values['token-file'], dataDir);
  const options: ServerOptions = {
    host: values.host ?? '127.0.0.1',
    port: values.port ?? 8080,
    dataDir,
    guestsDir,
    token,
    defaultRamMib: 128,
    sliceInsns: DEFAULT_SLICE_INSNS,
    fsync: values.fsync === true,
    checkpoints: {
      intervalInsns: values['checkpoint-insns'] ?? DEFAULT_CHECKPOINTS.intervalInsns,
      intervalExits: values['checkpoint-exits'] ?? DEFAULT_CHECKPOINTS.intervalExits,
      budgetBytes: (values['checkpoint-budget-mib'] ?? DEFAULT_CHECKPOINTS.budgetBytes / (1 << 20)) * (1 << 20),
    },
    limits: {
      ...DEFAULT_LIMITS,
      maxVms: values['max-vms'] ?? DEFAULT_LIMITS.maxVms,
      maxRamMib: values['max-ram-mib'] ?? DEFAULT_LIMITS.maxRamMib,
      maxFrameBytes: values['max-frame-bytes'] ?? DEFAULT_LIMITS.maxFrameBytes,
      maxPendingRequests: values['max-pending'] ?? DEFAULT_LIMITS.maxPendingRequests,
      maxUploadBytes: values['max-upload-bytes'] ?? DEFAULT_LIMITS.maxUploadBytes,
    },
  };
  // Loaded here, not at the top: express, ws and pino would add ~0.2 s to every other command's start.
  const [{ startServer }, { createLogger }] = await Promise.all([import('../server.js'), import('../log.js')]);
  const log = createLogger(values['log-format'] ?? (process.stderr.isTTY ? 'pretty' : 'json'), values['log-level'] ?? 'info');
  const server = await startServer(options, log);
  // SIGINT and SIGTERM end every VM with its journal closed (end reason `interrupted`), then the server exits with
  // the signal's usual status (130, 143). A second signal does not wait: every journal already holds all that any
  // client saw (docs/journal.md, "Durability").
  // Listened for before the server says it is listening: a signal sent on that line must find them.
  const signalled = new Promise<NodeJS.Signals>((done) => {
    const stop = (sig: NodeJS.Signals) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      process.once('SIGINT', () => process.exit(130));
      process.once('SIGTERM', () => process.exit(143));
      log.info({ signal: sig, vms: server.registry.list().length }, 'shutting down');
      void server.close('interrupted').then(() => done(sig));
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  process.stdout.write(`hindsight: listening on ${server.url}\nhindsight: server token from ${source}; recordings in ${join(dataDir, 'recordings')}\n`);
  // As Jupyter does: a link that carries the token once (the page keeps it for the tab and drops it from the address).
  process.stdout.write(`hindsight: web UI at ${server.url}/ui/?token=${encodeURIComponent(token)}\n`);
  log.info({ url: server.url, dataDir, guestsDir, tokenFrom: source, maxVms: options.limits.maxVms }, 'listening');
  if (restartFailure !== null) log.warn({ reason: restartFailure }, 'could not turn off the allocator\'s thread caches: deleted VMs will leave more memory behind');
  const signal = await signalled;
  log.info('stopped');
  return signal === 'SIGINT' ? 130 : 143;
}
