/**
 * hindsight as a package: `npm pack` makes a tarball with the compiled SDK, simulator, CLI and their declarations
 * (and nothing a user made: journals, tokens, data folders); it installs into an empty project, where
 * `import { HindsightClient } from 'hindsight'` works from JavaScript and from strict TypeScript, `hindsight/sim`
 * too, and `npx hindsight` runs. Dependencies come from the npm cache (`npm ci` filled it) or the registry.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'hindsight-pack-'));
const app = join(dir, 'app');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(command: string, args: string[], cwd: string) {
  const r = spawnSync(command, args, { cwd, encoding: 'utf8', maxBuffer: 64 << 20, env: { ...process.env, npm_config_update_notifier: 'false' } });
  if (r.error) throw r.error;
  return r;
}

describe('the npm package', () => {
  it('packs the built SDK with declarations, installs into an empty project, and imports from JS and strict TS', () => {
    // dist/ is built already (npm test builds first): no prepare script here.
    const packed = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], ROOT);
    expect(packed.status, packed.stderr).toBe(0);
    const [{ filename, files }] = JSON.parse(packed.stdout) as [{ filename: string; files: { path: string }[] }];
    const paths = files.map((f) => f.path);
    for (const p of ['package.json', 'dist/client-sdk/index.js', 'dist/client-sdk/index.d.ts', 'dist/sim/index.js', 'dist/sim/index.d.ts',
      'dist/server/cli/main.js', 'guests/build/hello.elf', 'examples/remote-device.mjs', 'docs/cli.md']) {
      expect(paths, p).toContain(p);
    }
    expect(paths.filter((p) => /\.hsj$|\.map$|\.test\.|\.ts$(?<!\.d\.ts)|hindsight-data|token|node_modules|\.tgz$/.test(p))).toEqual([]);

    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'scratch', private: true, type: 'module' }));
    const installed = run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', join(dir, filename)], app);
    expect(installed.status, installed.stderr).toBe(0);

    writeFileSync(join(app, 'use.mjs'), `
      import { readFileSync } from 'node:fs';
      import { createRequire } from 'node:module';
      import { HindsightClient, runElf } from 'hindsight';
      import { parseElf } from 'hindsight/sim';
      const elf = readFileSync(createRequire(import.meta.url).resolve('hindsight/package.json').replace(/package\\.json$/, 'guests/build/hello.elf'));
      const client = new HindsightClient('http://127.0.0.1:9', 'x'.repeat(16));
      console.log(typeof client.createVm, parseElf(elf).symbols.has('main'), runElf(elf).console.includes('Hello from a hindsight guest!'));
    `);
    const js = run(process.execPath, ['use.mjs'], app);
    expect(js.status, js.stderr).toBe(0);
    expect(js.stdout.trim()).toBe('function true true');

    writeFileSync(join(app, 'use.ts'), `
      import { HindsightClient, RemoteVmm, type CreatedVm, type VmEnd } from 'hindsight';
      import { Machine, readJournal, type VcpuExit } from 'hindsight/sim';
      export async function run(url: string, token: string): Promise<VmEnd> {
        const client = new HindsightClient(url, token);
        const vm: CreatedVm = await client.createVm({ guest: 'hello.elf' });
        const vmm = new RemoteVmm(await client.connect(vm, 'controller'));
        vmm.on('MMIO', (exit: VcpuExit) => undefined);
        await vmm.run();
        return vmm.ended;
      }
      export const kinds: [typeof Machine, typeof readJournal] = [Machine, readJournal];
    `);
    const tsc = run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '--strict', '--noEmit', '--module', 'nodenext',
      '--moduleResolution', 'nodenext', '--target', 'es2022', '--types', 'node', '--typeRoots', join(ROOT, 'node_modules/@types'), 'use.ts'], app);
    expect(tsc.status, tsc.stdout + tsc.stderr).toBe(0);

    const npx = run('npx', ['--no-install', 'hindsight', '--version'], app);
    expect(npx.status, npx.stderr).toBe(0);
    expect(npx.stdout).toMatch(/^hindsight \d+\.\d+\.\d+\n$/);
  }, 300_000);
});
