/** A `hindsight serve` for a campaign: its own data folder and token, an ephemeral port, its stderr kept. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HindsightClient } from '../client-sdk/index.js';
import { hasStackTrace, type CampaignReport } from './report.js';

export interface FuzzServer {
  url: string;
  host: string;
  port: number;
  token: string;
  dataDir: string;
  child: ChildProcess;
  client: HindsightClient;
  stderr(): string;
  /** Whether the server process is still there. */
  alive(): boolean;
  /** A raw stack trace on stderr (an uncaught exception prints one; logged errors are JSON lines). */
  stackTrace(): string | null;
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export async function startServer(cli: string, guestsDir: string, extra: string[] = []): Promise<FuzzServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'hindsight-fuzz-'));
  const token = `fuzz-token-${process.pid}-${Date.now()}`;
  writeFileSync(join(dataDir, 'token'), token);
  const child = spawn(process.execPath, [cli, 'serve', '--port', '0', '--data', dataDir, '--token-file', join(dataDir, 'token'), '--guests', guestsDir, '--log-level', 'warn', ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '', err = '';
  child.stderr!.on('data', (d: Buffer) => { err += d.toString(); if (err.length > 1 << 22) err = err.slice(-(1 << 21)); });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const url = await new Promise<string>((ok, fail) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) ok(m[1]);
    });
    void exit.then(({ code }) => fail(new Error(`the server exited (${code}): ${err}`)));
  });
  const u = new URL(url);
  return {
    url, host: u.hostname, port: Number(u.port), token, dataDir, child, client: new HindsightClient(url, token),
    stderr: () => err,
    alive: () => child.exitCode === null && child.signalCode === null,
    stackTrace: () => (hasStackTrace(err) ? err.slice(Math.max(0, err.search(/\n\s+at /) - 500), err.search(/\n\s+at /) + 1500) : null),
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const result = await exit;
      rmSync(dataDir, { recursive: true, force: true });
      return result;
    },
  };
}

/** The end of a campaign's server: a stack trace it printed is a failure, and so is any exit but SIGTERM's 143. */
export async function endCampaignServer(server: FuzzServer, report: CampaignReport): Promise<void> {
  const stack = server.stackTrace();
  if (stack !== null) report.fail('stack', -1, `the server printed a stack trace: ${stack}`);
  const wasAlive = server.alive();
  const end = await server.stop();
  if (wasAlive && end.code !== 143) report.fail('crash', -1, `the server exited ${end.code ?? end.signal} at SIGTERM`);
}
