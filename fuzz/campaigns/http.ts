/**
 * HTTP: requests written byte by byte on raw connections, so they can lie: every route and some that are not, with
 * %-escapes good and bad, `..` and `//`, long paths and queries; methods real and invented; the server token right,
 * wrong or missing; bodies of JSON descriptions mutated, random bytes, images, gzip good and corrupt, a charset or
 * an encoding nobody knows; Content-Length too small or too large, Ranges, Expect: 100-continue. Every answer must be
 * a status below 500, and a JSON error with a code when it is an error; the server must go on answering /healthz.
 */
import { connect } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { CampaignReport, cases, type FuzzContext } from '../report.js';
import { Rng } from '../rng.js';
import { endCampaignServer, startServer, type FuzzServer } from '../server.js';
import { mutateValue, randomValue } from '../values.js';

interface Reply {
  status: number;
  head: string;
  body: string;
  /** No reply came within the wait. */
  timedOut: boolean;
}

function withoutContinue(text: string): string {
  return text.replace(/^HTTP\/1\.1 100 [^\r]*\r\n\r\n/, '');
}

/** Sends raw bytes and reads one response (up to its Content-Length, or the close), within `ms`. */
function exchange(server: FuzzServer, bytes: Buffer, ms: number, headOnly: boolean): Promise<Reply> {
  return new Promise((resolve) => {
    let got = Buffer.alloc(0);
    let done = false;
    const s = connect(server.port, server.host, () => s.write(bytes));
    const finish = (timedOut: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.destroy();
      const text = withoutContinue(got.toString('latin1'));
      const at = text.indexOf('\r\n\r\n');
      const head = at < 0 ? text : text.slice(0, at);
      resolve({ status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0), head, body: at < 0 ? '' : text.slice(at + 4), timedOut });
    };
    const timer = setTimeout(() => finish(true), ms);
    s.on('data', (d: Buffer) => {
      got = Buffer.concat([got, d]);
      // A 100 Continue is not the answer: the one after it is.
      const text = withoutContinue(got.toString('latin1'));
      const at = text.indexOf('\r\n\r\n');
      if (at < 0 || /^HTTP\/1\.1 100 /.test(text)) return;
      const head = text.slice(0, at);
      if (headOnly || /^HTTP\/1\.1 (204|304) /.test(head)) return finish(false);
      const len = /\r\ncontent-length: (\d+)/i.exec(head);
      if (len !== null && text.length >= at + 4 + Number(len[1])) finish(false);
      if (/\r\ntransfer-encoding: chunked/i.test(head) && text.endsWith('0\r\n\r\n')) finish(false);
    });
    s.on('error', () => finish(false));
    s.on('close', () => finish(false));
  });
}

const SEGMENTS = ['vms', 'recordings', 'replays', 'stop', 'channel', 'ui', '..', '.', '', '%2e%2e', '%zz', '%', '%E0%A4%A', '%00', 'x'.repeat(300), '\u00e9', '*', 'vm-000000000000', 'hsj'];

function randomPath(rng: Rng, vmIds: string[], recordings: string[]): string {
  const r = rng.int(12);
  const id = () => (vmIds.length > 0 && rng.chance(0.6) ? rng.pick(vmIds) : rng.pick(SEGMENTS));
  const rec = () => (recordings.length > 0 && rng.chance(0.6) ? rng.pick(recordings) : rng.pick(SEGMENTS));
  let path: string;
  switch (r) {
    case 0: path = '/v1/vms'; break;
    case 1: case 2: path = `/v1/vms/${id()}`; break;
    case 3: path = `/v1/vms/${id()}/stop`; break;
    case 4: path = `/v1/vms/${id()}/channel`; break;
    case 5: path = '/v1/recordings'; break;
    case 6: path = `/v1/recordings/${rec()}`; break;
    case 7: path = '/v1/replays'; break;
    case 8: path = rng.pick(['/healthz', '/metrics', '/ui/', '/ui/index.html', '/v1/ui/vms', `/v1/ui/vms/${id()}/observe`]); break;
    case 9: path = `/${Array.from({ length: 1 + rng.int(5) }, () => rng.pick(SEGMENTS)).join('/')}`; break;
    case 10: path = rng.pick(['//', '/v1//vms', '/v1/vms/../recordings', '*', 'http://x/v1/vms', `/${'a/'.repeat(2000)}`]); break;
    default: path = `/v1/vms/${id()}/${rng.pick(SEGMENTS)}`;
  }
  if (rng.chance(0.3)) {
    const keys = ['name', 'ramMib', 'record', 'bootargs', 'initrd', 'guest', 'x'];
    path += `?${Array.from({ length: 1 + rng.int(4) }, () => `${rng.pick(keys)}=${encodeURIComponent(String(randomValue(rng, 0))).slice(0, 300)}`).join('&')}`;
    if (rng.chance(0.2)) path += rng.pick(['&ramMib=%zz', '&name=', '&record=maybe', '&initrd=', '&initrd=.', '&name=a&name=b']);
  }
  return path;
}

function randomRequest(rng: Rng, server: FuzzServer, images: Uint8Array[], vmIds: string[], recordings: string[]): { bytes: Buffer; complete: boolean; what: string } {
  const method = rng.pick(['GET', 'GET', 'POST', 'POST', 'POST', 'DELETE', 'PUT', 'HEAD', 'OPTIONS', 'PATCH', 'FROB']);
  const path = randomPath(rng, vmIds, recordings);
  const headers: string[] = ['Host: fuzz'];
  const auth = rng.int(10);
  if (auth < 8) headers.push(`Authorization: Bearer ${server.token}`);
  else if (auth === 8) headers.push(`Authorization: ${rng.pick(['Bearer', 'Basic x', `Bearer ${server.token}x`, 'Bearer '])}`);
  let body: Buffer = Buffer.alloc(0);
  const kind = rng.int(10);
  if (method === 'POST' || rng.chance(0.1)) {
    if (kind < 4) {
      const base = rng.chance(0.5) ? { guest: rng.pick(['hello.elf', 'mmio-loop.elf', '', '.', '..', 'x', 'bench-sort.elf']), record: rng.chance(0.8), ramMib: rng.pick([16, 64, 128, 1, 4096]) } : { recording: rng.pick([...recordings, 'x.hsj', '']) };
      body = Buffer.from(JSON.stringify(mutateValue(rng, base), (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v instanceof Uint8Array ? [...v] : v)));
      headers.push(`Content-Type: ${rng.pick(['application/json', 'application/json; charset=utf-8', 'application/json; charset=latin9', 'text/plain', 'application/json;charset="UTF-8"'])}`);
    } else if (kind < 6) {
      body = Buffer.from(rng.chance(0.5) && images.length > 0 ? rng.pick(images) : rng.bytes(rng.int(5000)));
      headers.push(`Content-Type: ${rng.pick(['application/octet-stream', 'application/octet-stream', 'application/x-elf', ''])}`);
    } else if (kind < 8) {
      body = rng.chance(0.5) ? gzipSync(Buffer.from(JSON.stringify({ guest: 'hello.elf', record: false }))) : Buffer.from(rng.bytes(rng.int(200)));
      headers.push('Content-Type: application/json', `Content-Encoding: ${rng.pick(['gzip', 'deflate', 'br', 'x-gzip', 'gzip, gzip', 'identity', 'zstd'])}`);
    } else {
      body = Buffer.from(JSON.stringify(randomValue(rng, 3), (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v instanceof Uint8Array ? [...v] : v)) ?? 'null');
      headers.push('Content-Type: application/json');
    }
  }
  let complete = true;
  const lengthLie = rng.int(12);
  if (lengthLie === 0) {
    headers.push(`Content-Length: ${body.length + 1 + rng.int(1 << 30)}`);
    complete = false;
  } else if (lengthLie === 1 && body.length > 0) {
    headers.push(`Content-Length: ${rng.int(body.length)}`);
  } else if (lengthLie === 2 && body.length > 0) {
    headers.push('Transfer-Encoding: chunked');
    body = Buffer.concat([Buffer.from(`${body.length.toString(16)}\r\n`), body, Buffer.from('\r\n0\r\n\r\n')]);
  } else if (body.length > 0 || method === 'POST') {
    headers.push(`Content-Length: ${body.length}`);
  }
  if (rng.chance(0.1)) headers.push('Expect: 100-continue');
  if (rng.chance(0.15)) headers.push(`Range: ${rng.pick(['bytes=0-10', 'bytes=999999999-', 'bytes=-5', 'bytes=5-1', 'bytes=abc', 'lines=1-2', 'bytes=0-0,2-3'])}`);
  if (rng.chance(0.05)) headers.push(`X-Junk: ${'y'.repeat(rng.int(20000))}`);
  const head = `${method} ${path} HTTP/1.1\r\n${headers.join('\r\n')}\r\n\r\n`;
  return { bytes: Buffer.concat([Buffer.from(head, 'latin1'), body]), complete, what: `${method} ${path.slice(0, 120)}` };
}

export async function httpCampaign(ctx: FuzzContext): Promise<CampaignReport> {
  const report = new CampaignReport('http', ctx);
  const server = await startServer(ctx.cli, ctx.guestsDir, ['--max-upload-bytes', String(4 << 20)]);
  const images = ['hello', 'mmio-widths', 'srst'].map((g) => readFileSync(join(ctx.guestsDir, `${g}.elf`)));
  try {
    const first = await server.client.createVm({ guest: 'hello.elf' });
    let vmIds = [first.id];
    let recordings = [first.recording!];
    for (const index of cases(ctx, ctx.budget)) {
      const rng = Rng.forCase(ctx.seed, 'http', index);
      const { bytes, complete, what } = randomRequest(rng, server, images, vmIds, recordings);
      report.inputs++;
      const reply = await exchange(server, bytes, complete ? 15_000 : 2_000, what.startsWith('HEAD '));
      if (reply.timedOut && reply.status === 0) {
        if (complete) report.fail('hang', index, `${what}: no answer in 15 s`, { ext: 'http', bytes });
        else report.outcome('waited-for-body');
      } else if (reply.status === 0) {
        report.outcome('closed');
      } else if (reply.status >= 500) {
        report.fail('uncoded', index, `${what}: ${reply.status} ${reply.body.slice(0, 300)}`, { ext: 'http', bytes });
      } else {
        report.outcome(`http:${reply.status}`);
        if (reply.status >= 400 && /content-type: application\/json/i.test(reply.head)) {
          let code: unknown;
          try {
            code = (JSON.parse(reply.body) as { error?: { code?: unknown } }).error?.code;
          } catch { /* cut short: the request lied about its length */ }
          if (code !== undefined && typeof code !== 'string') report.fail('uncoded', index, `${what}: ${reply.status} without a code: ${reply.body.slice(0, 200)}`, { ext: 'http', bytes });
        }
      }
      if (!server.alive()) {
        report.fail('crash', index, `${what}: the server died: ${server.stderr().slice(-2000)}`, { ext: 'http', bytes });
        break;
      }
      if (index % 25 === 24) {
        const health = await fetch(`${server.url}/healthz`, { signal: AbortSignal.timeout(5000) }).then((r) => r.status, () => 0);
        if (health !== 200) report.fail('hang', index, `${what}: /healthz answered ${health}`);
        // Make room: the VMs the requests created, but the first.
        const vms = await server.client.listVms().catch(() => []);
        for (const vm of vms) if (vm.id !== first.id) await server.client.deleteVm(vm.id).catch(() => {});
        vmIds = [first.id, ...vms.map((v) => v.id).filter((id) => id !== first.id).slice(0, 2)];
        recordings = (await server.client.listRecordings().catch(() => [])).map((r) => r.name).slice(0, 5);
      }
      if (index % 200 === 0) ctx.progress(`http: ${report.inputs} inputs`);
    }
  } finally {
    await endCampaignServer(server, report);
  }
  return report;
}
