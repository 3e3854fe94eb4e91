import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { newToken } from '../auth.js';
import { DEFAULT_CHECKPOINTS, DEFAULT_LIMITS, DEFAULT_SLICE_INSNS, type ServerOptions } from '../config.js';
import { intOption, parseArgs, UsageError } from './args.js';

export const SERVE_USAGE = `usage: hindsight serve [options]

  --port N            listen on this port (default 8080; 0 picks a free one)
  --host ADDR         bind address (default 127.0.0.1: loopback only unless told otherwise)
  --data DIR          recordings and the generated token live here (default ./hindsight-data)
  --guests DIR        images VMs may be created from by name (default: the bundled guests/build)
  --token-file F      the server token (otherwise $HINDSIGHT_TOKEN, otherwise one is generated into DIR/server-token)
  --max-vms N         VMs alive at once (default ${DEFAULT_LIMITS.maxVms})
  --max-ram-mib N     RAM one VM may have (default ${DEFAULT_LIMITS.maxRamMib})
  --max-frame-bytes N largest WebSocket frame accepted (default ${DEFAULT_LIMITS.maxFrameBytes})
  --max-pending N     requests in flight per connection (default ${DEFAULT_LIMITS.maxPendingRequests})
  --max-upload-bytes N  largest image upload (default ${DEFAULT_LIMITS.maxUploadBytes})
  --checkpoint-insns N  checkpoint a recorded VM or a replay every N instructions (default ${DEFAULT_CHECKPOINTS.intervalInsns})
  --checkpoint-exits N  ... or every N exits, whichever comes first (default ${DEFAULT_CHECKPOINTS.intervalExits})
  --checkpoint-budget-mib N  checkpoint memory per VM before spacing doubles (default ${DEFAULT_CHECKPOINTS.budgetBytes / (1 << 20)})

Prints "hindsight: listening on http://HOST:PORT" once it accepts connections. See docs/protocol.md.`;

function serverToken(file: string | undefined, dataDir: string): { token: string; source: string } {
  if (file !== undefined) {
    const token = readFileSync(file, 'utf8').trim();
    if (token.length < 16) throw new UsageError(`the token in ${file} is shorter than 16 characters`);
    return { token, source: file };
  }
  const env = process.env.HINDSIGHT_TOKEN;
  if (env !== undefined && env !== '') {
    if (env.length < 16) throw new UsageError('$HINDSIGHT_TOKEN is shorter than 16 characters');
    return { token: env, source: '$HINDSIGHT_TOKEN' };
  }
  const path = join(dataDir, 'server-token');
  if (existsSync(path)) return { token: readFileSync(path, 'utf8').trim(), source: path };
  const token = newToken();
  writeFileSync(path, `${token}\n`, { mode: 0o600 });
  return { token, source: path };
}

export async function serveCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, {
    port: { value: true }, host: { value: true }, data: { value: true }, guests: { value: true }, 'token-file': { value: true },
    'max-vms': { value: true }, 'max-ram-mib': { value: true }, 'max-frame-bytes': { value: true }, 'max-pending': { value: true },
    'max-upload-bytes': { value: true }, 'checkpoint-insns': { value: true }, 'checkpoint-exits': { value: true },
    'checkpoint-budget-mib': { value: true }, help: {},
  });
  if (args.options.has('help') || args.positional.length > 0) {
    process.stdout.write(`${SERVE_USAGE}\n`);
    return args.options.has('help') ? 0 : 2;
  }
  const str = (name: string): string | undefined => {
    const v = args.options.get(name);
    return typeof v === 'string' ? v : undefined;
  };
  const positiveOption = (name: string): number | undefined => {
    const n = intOption(args, name);
    if (n === 0) throw new UsageError(`--${name} must be at least 1`);
    return n;
  };
  const dataDir = resolve(str('data') ?? 'hindsight-data');
  mkdirSync(dataDir, { recursive: true });
  const bundled = resolve(dirname(fileURLToPath(import.meta.url)), '../../../guests/build');
  const guestsDir = str('guests') !== undefined ? resolve(str('guests')!) : existsSync(bundled) ? bundled : null;
  const { token, source } = serverToken(str('token-file'), dataDir);
  const options: ServerOptions = {
    host: str('host') ?? '127.0.0.1',
    port: intOption(args, 'port') ?? 8080,
    dataDir,
    guestsDir,
    token,
    defaultRamMib: 128,
    sliceInsns: DEFAULT_SLICE_INSNS,
    checkpoints: {
      intervalInsns: positiveOption('checkpoint-insns') ?? DEFAULT_CHECKPOINTS.intervalInsns,
      intervalExits: positiveOption('checkpoint-exits') ?? DEFAULT_CHECKPOINTS.intervalExits,
      budgetBytes: (positiveOption('checkpoint-budget-mib') ?? DEFAULT_CHECKPOINTS.budgetBytes / (1 << 20)) * (1 << 20),
    },
    limits: {
      ...DEFAULT_LIMITS,
      maxVms: intOption(args, 'max-vms') ?? DEFAULT_LIMITS.maxVms,
      maxRamMib: intOption(args, 'max-ram-mib') ?? DEFAULT_LIMITS.maxRamMib,
      maxFrameBytes: intOption(args, 'max-frame-bytes') ?? DEFAULT_LIMITS.maxFrameBytes,
      maxPendingRequests: intOption(args, 'max-pending') ?? DEFAULT_LIMITS.maxPendingRequests,
      maxUploadBytes: intOption(args, 'max-upload-bytes') ?? DEFAULT_LIMITS.maxUploadBytes,
    },
  };
  // Loaded here, not at the top: express and ws would add ~0.2 s to every other command's start.
  const { startServer } = await import('../server.js');
  const server = await startServer(options);
  process.stdout.write(`hindsight: listening on ${server.url}\nhindsight: server token from ${source}; recordings in ${join(dataDir, 'recordings')}\n`);
  await new Promise<void>((done) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void server.close().then(done);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  return 0;
}
