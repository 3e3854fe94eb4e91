import { afterAll, beforeAll } from 'vitest';
/**
 * End-to-end tests run the real server: `hindsight serve` from dist/ (npm test builds it first) in a child
 * process on an ephemeral loopback port, with its own data folder and token.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HindsightClient } from '../client-sdk/index.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '../..');
export const CLI = join(ROOT, 'dist/server/cli/main.js');
export const GUESTS = join(ROOT, 'guests/build');

export function guestImage(name: string): Uint8Array {
  return readFileSync(join(GUESTS, `${name}.elf`));
}

export interface TestServer {
  url: string;
  token: string;
  dataDir: string;
  client: HindsightClient;
  child: ChildProcess;
  stderr(): string;
  stop(): Promise<void>;
}

export async function startTestServer(extraArgs: string[] = []): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'hindsight-server-'));
  const token = `test-token-${process.pid}-${Date.now()}`;
  const tokenFile = join(dataDir, 'token');
  writeFileSync(tokenFile, token);
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--data', dataDir, '--token-file', tokenFile, '--guests', GUESTS, ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '', err = '';
  child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  const url = await new Promise<string>((ok, fail) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) ok(m[1]);
    });
    child.once('exit', (code) => fail(new Error(`the server exited (${code}): ${err}`)));
  });
  return {
    url, token, dataDir, child, client: new HindsightClient(url, token), stderr: () => err,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const gone = new Promise((done) => child.once('exit', done));
        child.kill('SIGTERM');
        await gone;
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Polls until `cond` holds (10 ms apart, 5 s at most): for what the server learns a moment later, by message from a
 * VM's worker or by a guest running on.
 */
export async function until(cond: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('timed out');
}

/**
 * One real server for a test file: started before its tests, stopped after them (SHOW_SERVER_STDERR=1 prints what
 * it wrote to stderr). Call at the top level of the file; the returned function gives the running server.
 */
export function useTestServer(extraArgs: string[] = []): () => TestServer {
  let server: TestServer | undefined;
  beforeAll(async () => {
    server = await startTestServer(extraArgs);
  });
  afterAll(async () => {
    if (process.env.SHOW_SERVER_STDERR) console.log(server?.stderr());
    await server?.stop();
  });
  return () => server!;
}
