import { describe, expect, it } from 'vitest';
import {
  checksum, escapeBinary, frame, leHex, parseLeHex, RspParser, runLengthEncode, unescapeBinary,
} from './rsp-packet.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const text = (b: Uint8Array) => Buffer.from(b).toString('latin1');

/** What gdb-multiarch 13 sends first, as captured on the wire ($qSupported:...#xx). */
const QSUPPORTED = '$qSupported:multiprocess+;swbreak+;hwbreak+;qRelocInsn+;fork-events+;vfork-events+;exec-events+;vContSupported+;QThreadEvents+;no-resumed+;memory-tagging+;xmlRegisters=i386#77';

describe('RSP framing', () => {
  it('checksums are the byte sum modulo 256 (gdb\'s own packets as fixtures)', () => {
    expect(checksum(Buffer.from('qSupported:multiprocess+;swbreak+;hwbreak+;qRelocInsn+;fork-events+;vfork-events+;exec-events+;vContSupported+;QThreadEvents+;no-resumed+;memory-tagging+;xmlRegisters=i386'))).toBe(0x77);
    expect(text(frame(Buffer.from('OK')))).toBe('$OK#9a');
    expect(text(frame(Buffer.from('')))).toBe('$#00');
    expect(text(frame(Buffer.from('vCont;c')))).toBe('$vCont;c#a8');
  });

  it('parses a packet split across any number of chunks, byte by byte included', () => {
    const wire = Buffer.from(QSUPPORTED);
    for (const cut of [1, 2, 7, 50, wire.length - 2, wire.length - 1]) {
      const p = new RspParser();
      const events = [...p.push(wire.subarray(0, cut)), ...p.push(wire.subarray(cut))];
      expect(events).toHaveLength(1);
      expect(events[0].kind).toBe('packet');
    }
    const p = new RspParser();
    const events = [...wire].flatMap((b) => p.push(Uint8Array.of(b)));
    expect(events.map((e) => e.kind)).toEqual(['packet']);
  });

  it('reports a bad checksum with both sums, and goes on with the next packet', () => {
    const p = new RspParser();
    // "$g#67" is right; "$g#66" is not.
    const events = p.push(Buffer.from('$g#66$g#67'));
    expect(events).toEqual([
      { kind: 'bad-checksum', data: Buffer.from('g'), expected: 0x66, actual: 0x67 },
      { kind: 'packet', data: Buffer.from('g') },
    ]);
  });

  it('tells acks, nacks and Ctrl-C (0x03) apart from packets, and skips noise between packets', () => {
    const p = new RspParser();
    const events = p.push(hex('2b 2d 03 0a 24 3f 23 33 66 03'));
    expect(events.map((e) => e.kind)).toEqual(['ack', 'nack', 'interrupt', 'packet', 'interrupt']);
    expect(text((events[3] as { data: Buffer }).data)).toBe('?');
  });

  it('a 0x03 or a + inside a packet is data; a $ there starts the packet again', () => {
    const p = new RspParser();
    const ev = p.push(Buffer.concat([Buffer.from('$X1,2:'), hex('03 2b'), Buffer.from('#'), Buffer.from(checksumHex(Buffer.concat([Buffer.from('X1,2:'), hex('03 2b')])))]));
    expect(ev.map((e) => e.kind)).toEqual(['packet']);
    expect((ev[0] as { data: Buffer }).data).toEqual(Buffer.concat([Buffer.from('X1,2:'), hex('03 2b')]));
    expect(p.push(Buffer.from('$m0,4$qC#b4')).map((e) => e.kind)).toEqual(['packet']);
  });

  it('a checksum that is not hex loses the packet; a packet past the limit is dropped', () => {
    const p = new RspParser(8);
    expect(p.push(Buffer.from('$g#zz$g#67'))).toHaveLength(1);
    expect(p.push(Buffer.from('$0123456789#00$g#67')).map((e) => e.kind)).toEqual(['packet']);
  });

  it('escapes $ # } * as } and the byte xor 0x20, and unescapes them back', () => {
    const raw = hex('24 23 7d 2a 00 ff 41');
    const escaped = escapeBinary(raw);
    expect(escaped).toEqual(hex('7d 04 7d 03 7d 5d 7d 0a 00 ff 41'));
    expect(unescapeBinary(escaped)).toEqual(raw);
    // A lone } at the end escapes nothing: an error.
    expect(unescapeBinary(hex('41 7d'))).toBeNull();
  });

  it('run-length encodes replies as gdb decodes them, never with a # or $ count', () => {
    expect(text(runLengthEncode(Buffer.from('0000')))).toBe('0* ');
    expect(text(runLengthEncode(Buffer.from('000')))).toBe('000');
    // 7 zeros would need count 6 (#): a run of 6 (count 5, ") then a literal.
    expect(text(runLengthEncode(Buffer.from('0000000')))).toBe('0*"0');
    expect(text(runLengthEncode(Buffer.from('00000000')))).toBe('0*"00');
    for (let n = 1; n < 300; n++) {
      const enc = runLengthEncode(Buffer.from('a'.repeat(n)));
      expect(expandRuns(text(enc))).toBe('a'.repeat(n));
      for (let i = 0; i + 1 < enc.length; i++) if (enc[i] === 0x2a) expect(['#', '$', '+', '-']).not.toContain(String.fromCharCode(enc[i + 1]));
    }
  });

  it('register values are little-endian hex', () => {
    expect(leHex(0x80200000n, 8)).toBe('0000208000000000');
    expect(leHex(-1n, 8)).toBe('ffffffffffffffff');
    expect(parseLeHex('0000208000000000', 8)).toBe(0x80200000n);
    expect(parseLeHex('00002080', 8)).toBeNull();
  });
});

function checksumHex(data: Uint8Array): string {
  return checksum(data).toString(16).padStart(2, '0');
}

/** gdb's remote.c read_frame: X*n repeats X n - 29 more times. */
function expandRuns(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '*') {
      out += out[out.length - 1].repeat(s.charCodeAt(i + 1) - 29);
      i++;
    } else out += s[i];
  }
  return out;
}
