/**
 * Client mistakes over HTTP are 4xx with stable codes, never 500; limits hold before bodies are read. Each case
 * below was answered 500 (or read a body in full before refusing it) before the body reader and the error mapping.
 */
import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { useTestServer } from '../test-helpers.js';

const server = useTestServer(['--max-upload-bytes', String(1 << 20)]);

async function call(method: string, path: string, init: { headers?: Record<string, string>; body?: string | Uint8Array } = {}) {
  const res = await fetch(`${server().url}${path}`, {
    method, headers: { authorization: `Bearer ${server().token}`, ...init.headers }, body: init.body,
  });
  const text = await res.text();
  let json: { error?: { code: string } } | null = null;
  try { json = JSON.parse(text) as typeof json; } catch { /* not JSON */ }
  return { status: res.status, code: json?.error?.code, headers: res.headers };
}

const JSON_TYPE = { 'content-type': 'application/json' };

/** A raw request; resolves with what came back within `ms` (the server must answer without the body). */
function rawRequest(head: string, ms = 3000): Promise<string> {
  const { port, hostname } = new URL(server().url);
  return new Promise((resolve, reject) => {
    let got = '';
    const s = connect(Number(port), hostname, () => s.write(head));
    s.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      if (/\r\n\r\n/.test(got)) { s.destroy(); resolve(got); }
    });
    s.on('error', reject);
    setTimeout(() => { s.destroy(); resolve(got); }, ms);
  });
}

describe('HTTP: client mistakes are 4xx with codes', () => {
  it('malformed %-escapes in path parameters are 400 BAD_PATH', async () => {
    expect(await call('GET', '/v1/vms/%zz')).toMatchObject({ status: 400, code: 'BAD_PATH' });
    expect(await call('DELETE', '/v1/vms/%E0%A4%A')).toMatchObject({ status: 400, code: 'BAD_PATH' });
    expect(await call('GET', '/v1/recordings/%')).toMatchObject({ status: 400, code: 'BAD_PATH' });
  });

  it('an empty guest or initrd name is 400 BAD_GUEST_NAME (not the guests folder read as a file)', async () => {
    expect(await call('POST', '/v1/vms', { headers: JSON_TYPE, body: '{"guest":""}' })).toMatchObject({ status: 400, code: 'BAD_GUEST_NAME' });
    expect(await call('POST', '/v1/vms', { headers: JSON_TYPE, body: '{"guest":"hello.elf","initrd":""}' })).toMatchObject({ status: 400, code: 'BAD_GUEST_NAME' });
    expect(await call('POST', '/v1/vms?initrd=', { headers: { 'content-type': 'application/octet-stream' }, body: Uint8Array.of(1) }))
      .toMatchObject({ status: 400 });
  });

  it('unknown encodings and charsets are 415, corrupt gzip 400, a decompression bomb 413; good gzip works', async () => {
    const body = '{"guest":"hello.elf","record":false}';
    expect(await call('POST', '/v1/vms', { headers: { ...JSON_TYPE, 'content-encoding': 'br2' }, body })).toMatchObject({ status: 415, code: 'UNSUPPORTED_ENCODING' });
    expect(await call('POST', '/v1/vms', { headers: { 'content-type': 'application/json; charset=latin9' }, body })).toMatchObject({ status: 415, code: 'UNSUPPORTED_CHARSET' });
    expect(await call('POST', '/v1/vms', { headers: { 'content-type': 'text/plain' }, body })).toMatchObject({ status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' });
    expect(await call('POST', '/v1/vms', { headers: { ...JSON_TYPE, 'content-encoding': 'gzip' }, body: 'not gzip at all' })).toMatchObject({ status: 400, code: 'BAD_BODY' });
    const truncated = gzipSync(body).subarray(0, 20);
    expect(await call('POST', '/v1/vms', { headers: { ...JSON_TYPE, 'content-encoding': 'gzip' }, body: truncated })).toMatchObject({ status: 400, code: 'BAD_BODY' });
    const bomb = gzipSync(Buffer.alloc(16 << 20, 0x20));
    expect(bomb.length).toBeLessThan(64 * 1024);
    expect(await call('POST', '/v1/vms', { headers: { ...JSON_TYPE, 'content-encoding': 'gzip' }, body: bomb })).toMatchObject({ status: 413, code: 'PAYLOAD_TOO_LARGE' });
    const ok = await call('POST', '/v1/vms', { headers: { ...JSON_TYPE, 'content-encoding': 'gzip' }, body: gzipSync(body) });
    expect(ok.status).toBe(201);
  });

  it('an unsatisfiable Range is 416 with the file size in Content-Range', async () => {
    const vm = await server().client.createVm({ guest: 'hello.elf' });
    const size = (await server().client.downloadRecording(vm.recording!)).length;
    const r = await call('GET', `/v1/recordings/${vm.recording}`, { headers: { range: `bytes=${size + 100}-` } });
    expect(r).toMatchObject({ status: 416, code: 'RANGE_NOT_SATISFIABLE' });
    expect(r.headers.get('content-range')).toBe(`bytes */${size}`);
    await server().client.deleteVm(vm.id);
  });

  it('a body declared larger than the limit is refused on its headers, before it is sent (413, connection closed)', async () => {
    const head = `POST /v1/vms?name=big.elf HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${server().token}\r\n`
      + 'Content-Type: application/octet-stream\r\nContent-Length: 10000000000\r\n';
    const plain = await rawRequest(`${head}\r\n`);
    expect(plain).toMatch(/^HTTP\/1\.1 413 /);
    expect(plain).toMatch(/\r\nConnection: close\r\n/i);
    const expecting = await rawRequest(`${head}Expect: 100-continue\r\n\r\n`);
    expect(expecting).toMatch(/^HTTP\/1\.1 413 /);
    expect(expecting).not.toContain('100 Continue');
    // Without the token, the same: refused and closed, the body never read.
    const anonymous = await rawRequest('POST /v1/vms HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: 10000000000\r\n\r\n');
    expect(anonymous).toMatch(/^HTTP\/1\.1 401 /);
    expect(anonymous).toMatch(/\r\nConnection: close\r\n/i);
    // A chunked body (no length declared) that grows past the limit is cut there.
    let sent = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        sent += 64 * 1024;
        if (sent > (64 << 20)) controller.close();
        else controller.enqueue(new Uint8Array(64 * 1024));
      },
    });
    const res = await fetch(`${server().url}/v1/vms?name=big.elf`, {
      method: 'POST', headers: { authorization: `Bearer ${server().token}`, 'content-type': 'application/octet-stream' }, body: endless, duplex: 'half',
    } as RequestInit).catch((e: Error) => e);
    if (!(res instanceof Error)) expect(res.status).toBe(413);
    expect(sent).toBeLessThan(64 << 20);
    expect((await fetch(`${server().url}/healthz`)).status).toBe(200);
  });
});
