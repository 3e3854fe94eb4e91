/**
 * The inspector: where the time traveller stands in a recording, and what the machine holds there. Travel buttons
 * (reverse-continue, reverse-step, step, continue), breakpoints and watchpoints (observer triggers: they stop
 * travels and never change the recording), the exit it stands at with its fields, the registers with their ABI
 * names, the disassembly around pc with symbols, the console output so far, and a memory view.
 */
import { ApiError, getJson, type DisasmLine, type ExitDetail } from './api.js';
import { ChannelError } from './channel.js';
import { ABI_NAMES, append, clear, fpAbiName, h, hex, hex64, parseAddress } from './dom.js';
import { Session, type Place, type Registers, type Stop, type TravelReply } from './session.js';

export interface InspectorHooks {
  /** The traveller moved (the timeline marks the place, the address bar keeps it). */
  moved(place: Place, stop: Stop | undefined): void;
}

/** The symbols of the recording's image, sorted: for names at a pc and breakpoints by name. */
class Symbols {
  constructor(private readonly list: [bigint, string][]) {}

  static async load(recording: string): Promise<Symbols> {
    const raw = await getJson<[string, string][]>(`/v1/ui/recordings/${encodeURIComponent(recording)}/symbols`);
    return new Symbols(raw.map(([a, n]) => [BigInt(a), n]));
  }

  byName(name: string): bigint | null {
    return this.list.find(([, n]) => n === name)?.[0] ?? null;
  }

  at(pc: bigint): string | null {
    let lo = 0, hi = this.list.length - 1, best = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.list[mid][0] <= pc) { best = mid; lo = mid + 1; } else hi = mid - 1;
    }
    if (best < 0 || pc - this.list[best][0] > 0x10000n) return null;
    const off = pc - this.list[best][0];
    return off === 0n ? this.list[best][1] : `${this.list[best][1]}+${hex(off)}`;
  }
}

export class Inspector {
  readonly el: HTMLElement;
  private session: Session | null = null;
  private symbols: Symbols | null = null;
  private place: Place | null = null;
  private busy = false;
  private lastRegs: bigint[] | null = null;
  private readonly breakpoints = new Set<bigint>();
  private readonly watchpoints: { addr: bigint; len: number; read: boolean; write: boolean }[] = [];
  private memAddr: bigint | null = null;
  private readonly parts = {
    status: h('div', { class: 'status', 'data-testid': 'place' }, 'Click an exit on the timeline to stand there.'),
    buttons: h('div', { class: 'buttons' }),
    triggers: h('div', { class: 'triggers' }),
    exit: h('div', { class: 'panel exit', 'data-testid': 'exit-fields' }),
    regs: h('div', { class: 'panel regs', 'data-testid': 'registers' }),
    // Shown on a machine with F/D only.
    fregsTitle: h('h3', { hidden: true }, 'F/D registers'),
    fregs: h('div', { class: 'panel regs', 'data-testid': 'fp-registers', hidden: true }),
    disasm: h('div', { class: 'panel disasm', 'data-testid': 'disassembly' }),
    console: h('pre', { class: 'panel console', 'data-testid': 'console' }),
    memory: h('div', { class: 'panel memory', 'data-testid': 'memory' }),
  };

  constructor(private readonly recording: string, private readonly hooks: InspectorHooks) {
    const b = (label: string, title: string, testid: string, go: () => Promise<TravelReply>) =>
      h('button', { title, 'data-testid': testid, onclick: () => void this.travel(go) }, label);
    append(this.parts.buttons,
      b('« reverse-continue', 'back to the previous breakpoint or watchpoint hit (or the start)', 'reverse-continue', () => this.s().reverseContinue()),
      b('‹ reverse-step', 'one instruction back', 'reverse-step', () => this.s().reverseStep()),
      b('step ›', 'one instruction forwards', 'step', () => this.s().step()),
      b('continue »', 'forwards to the next breakpoint or watchpoint hit (or the end)', 'continue', () => this.s().continue()));
    this.el = h('section', { class: 'inspector' },
      h('div', { class: 'travel' }, this.parts.buttons, this.parts.status),
      this.parts.triggers,
      h('div', { class: 'grid idle' },
        h('div', {}, h('h3', {}, 'Exit'), this.parts.exit, h('h3', {}, 'Registers'), this.parts.regs, this.parts.fregsTitle, this.parts.fregs),
        h('div', {}, h('h3', {}, 'Disassembly'), this.parts.disasm),
        h('div', {}, h('h3', {}, 'Console (before this point)'), this.parts.console, h('h3', {}, 'Memory (guest-physical)'), this.parts.memory)));
    this.renderTriggers();
  }

  private s(): Session {
    if (this.session === null) throw new Error('no session');
    return this.session;
  }

  private async ensureSession(): Promise<Session> {
    if (this.session === null || this.session.channel.closed) {
      this.setStatus('opening a replay session…');
      this.session = await Session.start(this.recording);
      this.symbols ??= await Symbols.load(this.recording).catch(() => new Symbols([]));
      for (const pc of this.breakpoints) await this.session.breakpoint(pc, true);
      for (const w of this.watchpoints) await this.session.watchpoint(w.addr, w.len, w.read, w.write, true);
    }
    return this.session;
  }

  /** Stands at exit `seq` (as userspace saw it, before its answer). */
  async standAtExit(seq: number): Promise<void> {
    await this.run(async () => {
      const s = await this.ensureSession();
      this.setStatus(`seeking exit ${seq}…`);
      return s.seekExit(seq);
    });
  }

  private async travel(go: () => Promise<TravelReply>): Promise<void> {
    if (this.session === null) {
      this.setStatus('Click an exit on the timeline first.');
      return;
    }
    await this.run(async () => {
      await this.ensureSession();
      this.setStatus('travelling…');
      return go();
    });
  }

  private async run(go: () => Promise<TravelReply>): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    this.el.classList.add('busy');
    try {
      const reply = await go();
      this.place = reply.place;
      await this.show(reply.place, reply.stop);
      this.hooks.moved(reply.place, reply.stop);
      // Last: the place's data attributes say that everything about it is on the page.
      const d = this.parts.status.dataset;
      d.icount = String(reply.place.icount);
      d.pc = hex(reply.place.pc);
      d.exit = reply.place.atExit === null ? '' : String(reply.place.atExit.seq);
    } catch (e) {
      this.setStatus(`error: ${e instanceof ChannelError || e instanceof ApiError ? `${e.code}: ` : ''}${e instanceof Error ? e.message : String(e)}`, true);
    } finally {
      this.busy = false;
      this.el.classList.remove('busy');
    }
  }

  private setStatus(text: string, error = false): void {
    this.parts.status.textContent = text;
    this.parts.status.classList.toggle('error', error);
  }

  private describe(place: Place, stop: Stop | undefined): string {
    const sym = this.symbols?.at(place.pc);
    const where = place.atExit !== null
      ? `at exit ${place.atExit.seq} (${place.atExit.reason}), before its answer`
      : `between exits (next: ${place.nextSeq})`;
    const why = stop === undefined || stop.kind === 'arrived' ? '' : ` — stopped: ${stop.kind}${stop.kind === 'history-end' ? '' : ''}`;
    return `icount ${place.icount.toLocaleString('en-US')} · pc ${hex(place.pc)}${sym ? ` <${sym}>` : ''} · ${where}${why}`;
  }

  private async show(place: Place, stop: Stop | undefined): Promise<void> {
    const s = this.s();
    this.el.querySelector('.grid')!.classList.remove('idle');
    this.setStatus(this.describe(place, stop));
    const regs = await s.registers();
    this.renderRegs(regs);
    const before = place.atExit !== null ? Number(place.atExit.seq) : place.nextSeq;
    const [exit, lines, consoleOut] = await Promise.all([
      place.atExit === null ? Promise.resolve(null)
        : getJson<ExitDetail[]>(`/v1/ui/recordings/${encodeURIComponent(this.recording)}/exits?from=${place.atExit.seq}`).then((e) => e[0] ?? null),
      getJson<{ lines: DisasmLine[] }>(`/v1/ui/vms/${s.vmId}/disasm?pc=${hex(place.pc)}&before=10&after=20`).then((d) => d.lines).catch((e: Error) => e),
      getJson<{ text: string; from: number; total: number }>(`/v1/ui/recordings/${encodeURIComponent(this.recording)}/console?before=${before}`),
    ]);
    this.renderExit(exit);
    this.renderDisasm(lines, place.pc);
    this.parts.console.textContent = (consoleOut.from > 0 ? `… (${consoleOut.from} bytes before)\n` : '') + consoleOut.text;
    this.parts.console.scrollTop = this.parts.console.scrollHeight;
    if (this.memAddr === null) this.memAddr = regs.x[2];
    await this.renderMemory();
  }

  private renderExit(exit: ExitDetail | null): void {
    const el = this.parts.exit;
    clear(el);
    if (exit === null) {
      append(el, h('p', { class: 'muted' }, 'Not at an exit.'));
      return;
    }
    append(el, h('table', {}, h('tbody', {},
      h('tr', {}, h('th', {}, 'reason'), h('td', {}, exit.reason)),
      h('tr', {}, h('th', {}, 'icount'), h('td', {}, exit.icount.toLocaleString('en-US'))),
      ...exit.fields.map(([k, v]) => h('tr', {}, h('th', {}, k), h('td', {}, String(v)))))));
  }

  /** pc and x0..x31, then on a machine with F/D f0..f31 (raw bits) and fcsr; a value changed since the last stop stands out. */
  private renderRegs(regs: Registers): void {
    const values = [...regs.x, ...(regs.f ?? [])];
    const row = (i: number, v: bigint) => {
      const changed = this.lastRegs !== null && this.lastRegs[i] !== v;
      const id = i < 32 ? `x${i}` : `f${i - 32}`;
      return h('div', { class: `reg${changed ? ' changed' : ''}`, 'data-testid': `reg-${id}`, title: id },
        h('span', { class: 'name' }, i < 32 ? ABI_NAMES[i] : fpAbiName(i - 32)), h('span', { class: 'value' }, hex64(v)));
    };
    clear(this.parts.regs);
    append(this.parts.regs, h('div', { class: 'reg', 'data-testid': 'reg-pc' }, h('span', { class: 'name' }, 'pc'), h('span', { class: 'value' }, hex64(regs.pc))),
      ...regs.x.map((v, i) => row(i, v)));
    clear(this.parts.fregs);
    this.parts.fregs.hidden = this.parts.fregsTitle.hidden = regs.f === undefined;
    if (regs.f !== undefined && regs.fcsr !== undefined) {
      append(this.parts.fregs, ...regs.f.map((v, i) => row(32 + i, v)),
        h('div', { class: 'reg', 'data-testid': 'reg-fcsr', title: 'frm << 5 | fflags' },
          h('span', { class: 'name' }, 'fcsr'), h('span', { class: 'value' }, regs.fcsr.toString(16).padStart(2, '0'))));
    }
    this.lastRegs = values;
  }

  private renderDisasm(lines: DisasmLine[] | Error, pc: bigint): void {
    const el = this.parts.disasm;
    clear(el);
    if (lines instanceof Error) {
      append(el, h('p', { class: 'muted' }, `no disassembly: ${lines.message}`));
      return;
    }
    for (const l of lines) {
      if (l.label !== undefined) append(el, h('div', { class: 'label' }, `${l.pc} <${l.label}>:`));
      const addr = BigInt(l.pc);
      const row = h('div', {
        class: `insn${addr === pc ? ' current' : ''}${this.breakpoints.has(addr) ? ' bp' : ''}`,
        title: 'click: toggle a breakpoint here',
        onclick: () => void this.toggleBreakpoint(addr),
      }, h('span', { class: 'addr' }, l.pc.slice(2)), h('span', { class: 'bytes' }, l.bytes), h('span', { class: 'text' }, l.text));
      append(el, row);
    }
    // Centred in the panel (scrollIntoView would scroll the page too).
    const current = el.querySelector<HTMLElement>('.current');
    if (current !== null) el.scrollTop = current.offsetTop - el.clientHeight / 2;
  }

  private async renderMemory(): Promise<void> {
    const el = this.parts.memory;
    clear(el);
    const input = h('input', { value: this.memAddr === null ? '' : hex(this.memAddr), size: 20, 'aria-label': 'address', 'data-testid': 'memory-address' });
    const go = () => {
      const a = parseAddress(input.value);
      if (a !== null) {
        this.memAddr = a;
        void this.renderMemory();
      }
    };
    input.addEventListener('keydown', (e) => { if (e.key === 'Enter') go(); });
    append(el, h('div', { class: 'row' }, input, h('button', { onclick: go }, 'show'),
      h('button', { onclick: () => { this.memAddr = (this.memAddr ?? 0n) - 256n; void this.renderMemory(); } }, '−256'),
      h('button', { onclick: () => { this.memAddr = (this.memAddr ?? 0n) + 256n; void this.renderMemory(); } }, '+256')));
    if (this.session === null || this.memAddr === null) return;
    const base = this.memAddr & ~0xfn;
    try {
      const bytes = await this.session.readMem(Number(base), 256);
      const lines: string[] = [];
      for (let off = 0; off < bytes.length; off += 16) {
        const row = bytes.subarray(off, off + 16);
        const hexs = Array.from(row, (b) => b.toString(16).padStart(2, '0')).join(' ');
        const ascii = Array.from(row, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
        lines.push(`${(base + BigInt(off)).toString(16).padStart(12, '0')}  ${hexs}  ${ascii}`);
      }
      append(el, h('pre', {}, lines.join('\n')));
    } catch (e) {
      append(el, h('p', { class: 'muted' }, `${e instanceof ChannelError ? `${e.code}: ` : ''}${e instanceof Error ? e.message : String(e)}`));
    }
  }

  private async toggleBreakpoint(pc: bigint): Promise<void> {
    const add = !this.breakpoints.has(pc);
    if (add) this.breakpoints.add(pc);
    else this.breakpoints.delete(pc);
    if (this.session !== null) await this.session.breakpoint(pc, add);
    this.renderTriggers();
    this.parts.disasm.querySelectorAll('.insn').forEach((row) => {
      const a = BigInt(`0x${row.querySelector('.addr')!.textContent}`);
      row.classList.toggle('bp', this.breakpoints.has(a));
    });
  }

  private renderTriggers(): void {
    const el = this.parts.triggers;
    clear(el);
    const bpInput = h('input', { placeholder: 'pc or symbol', size: 18, 'data-testid': 'breakpoint-input' });
    const addBp = () => {
      const pc = parseAddress(bpInput.value) ?? this.symbols?.byName(bpInput.value.trim()) ?? null;
      if (pc === null) return void bpInput.classList.add('bad');
      void this.toggleBreakpoint(pc);
    };
    bpInput.addEventListener('keydown', (e) => { if (e.key === 'Enter') addBp(); });
    const wpAddr = h('input', { placeholder: 'address', size: 14, 'data-testid': 'watchpoint-input' });
    const wpLen = h('input', { value: '8', size: 3, title: 'bytes' });
    const wpRead = h('input', { type: 'checkbox', title: 'reads' });
    const wpWrite = h('input', { type: 'checkbox', checked: true, title: 'writes' });
    const addWp = async () => {
      const addr = parseAddress(wpAddr.value);
      const len = Number(wpLen.value);
      if (addr === null || !(len >= 1 && len <= 4096)) return void wpAddr.classList.add('bad');
      const w = { addr, len, read: wpRead.checked, write: wpWrite.checked || !wpRead.checked };
      this.watchpoints.push(w);
      if (this.session !== null) await this.session.watchpoint(w.addr, w.len, w.read, w.write, true);
      this.renderTriggers();
    };
    const list = h('span', { class: 'list' },
      ...[...this.breakpoints].map((pc) => h('button', { class: 'chip', title: 'remove', onclick: () => void this.toggleBreakpoint(pc) },
        `break ${hex(pc)}${this.symbols?.at(pc) ? ` <${this.symbols.at(pc)}>` : ''} ✕`)),
      ...this.watchpoints.map((w, i) => h('button', {
        class: 'chip', title: 'remove',
        onclick: async () => {
          this.watchpoints.splice(i, 1);
          if (this.session !== null) await this.session.watchpoint(w.addr, w.len, w.read, w.write, false);
          this.renderTriggers();
        },
      }, `watch ${hex(w.addr)}+${w.len} ${w.read ? 'r' : ''}${w.write ? 'w' : ''} ✕`)));
    append(el,
      h('label', {}, 'breakpoint ', bpInput, h('button', { onclick: addBp, 'data-testid': 'breakpoint-add' }, 'add')),
      h('label', {}, 'watchpoint ', wpAddr, ' len ', wpLen, ' r', wpRead, ' w', wpWrite,
        h('button', { onclick: () => void addWp(), 'data-testid': 'watchpoint-add' }, 'add')),
      list);
  }

  close(): void {
    this.session?.close();
    this.session = null;
  }
}
