/**
 * The pages: the list of VMs and recordings, a recording (its timeline and the inspector), a VM followed as it
 * runs (its exits streaming onto the timeline; its recording so far for the past).
 */
import { getBinary, getJson, type RecordingInfo, type VmSummary } from './api.js';
import { Channel } from './channel.js';
import { ExitColumns, type Filter } from './columns.js';
import { append, clear, formatCount, h, parseAddress, REASON_COLOURS } from './dom.js';
import { Inspector } from './inspector.js';
import type { Value } from './msgpack.js';
import { TimelineView } from './timeline.js';

export interface View {
  el: HTMLElement;
  close(): void;
}

const enc = encodeURIComponent;

export function homeView(): View {
  const vms = h('tbody', { 'data-testid': 'vms' });
  const recordings = h('tbody', { 'data-testid': 'recordings' });
  const el = h('main', { class: 'home' },
    h('h2', {}, 'VMs'),
    h('table', { class: 'list' }, h('thead', {}, h('tr', {}, ...['id', 'kind', 'image', 'state', 'exits', 'icount', 'recording'].map((t) => h('th', {}, t)))), vms),
    h('h2', {}, 'Recordings'),
    h('table', { class: 'list' }, h('thead', {}, h('tr', {}, ...['name', 'size', 'modified', ''].map((t) => h('th', {}, t)))), recordings));
  const refresh = async () => {
    const [v, r] = await Promise.all([getJson<VmSummary[]>('/v1/vms'), getJson<RecordingInfo[]>('/v1/recordings')]);
    clear(vms);
    if (v.length === 0) append(vms, h('tr', {}, h('td', { colspan: 7, class: 'muted' }, 'none')));
    for (const vm of v) {
      append(vms, h('tr', {},
        h('td', {}, h('a', { href: `#/vms/${enc(vm.id)}` }, vm.id)), h('td', {}, vm.kind), h('td', {}, vm.name), h('td', {}, vm.state),
        h('td', { class: 'num' }, formatCount(vm.exits)), h('td', { class: 'num' }, formatCount(vm.icount)),
        h('td', {}, vm.recording === null ? '—' : h('a', { href: `#/recordings/${enc(vm.recording)}` }, vm.recording))));
    }
    clear(recordings);
    if (r.length === 0) append(recordings, h('tr', {}, h('td', { colspan: 4, class: 'muted' }, 'none')));
    for (const rec of r) {
      append(recordings, h('tr', {},
        h('td', {}, h('a', { href: `#/recordings/${enc(rec.name)}` }, rec.name)), h('td', { class: 'num' }, `${(rec.bytes / 1024).toFixed(1)} KiB`),
        h('td', {}, new Date(rec.modified).toLocaleString()), h('td', {}, rec.vm === undefined ? '' : h('a', { href: `#/vms/${enc(rec.vm)}` }, `recording (${rec.vm})`))));
    }
  };
  void refresh();
  const timer = setInterval(() => void refresh().catch(() => undefined), 2000);
  return { el, close: () => clearInterval(timer) };
}

/** How far the server has got in walking a recording it opens for the first time. */
function indexing(c: ExitColumns): string {
  const p = c.progress;
  if (p === null || p.of === 0) return 'reading the recording…';
  const pct = `${Math.floor((100 * p.done) / p.of)}%`;
  return p.unit === 'exits' ? `reading the recording: ${formatCount(p.done)} of ${formatCount(p.of)} exits (${pct})` : `reading the recording: ${pct}`;
}

/** A timeline with its legend, filter bar and inspector: the body of both a recording's page and a VM's. */
class TimelinePage {
  readonly el: HTMLElement;
  readonly timeline: TimelineView;
  readonly inspector: Inspector;
  cols: ExitColumns | null = null;
  private readonly summary = h('div', { class: 'summary' });
  private readonly legend = h('div', { class: 'legend', 'data-testid': 'legend' });
  private readonly filterInfo = h('span', { class: 'muted', 'data-testid': 'filter-count' });
  private filter: Filter = {};

  constructor(title: Node, readonly recording: string | null, onMoved: (seq: number | null) => void) {
    const plot = h('div', { class: 'plot' });
    this.timeline = new TimelineView(plot, { select: (k) => void this.select(k) });
    this.inspector = new Inspector(recording ?? '', {
      moved: (place) => {
        this.timeline.place = place.icount;
        const seq = place.atExit === null ? null : Number(place.atExit.seq);
        if (seq !== null && this.cols !== null) {
          const k = this.cols.indexOfSeq(seq);
          if (k >= 0) {
            this.timeline.selected = k;
            this.timeline.reveal(k);
          }
        }
        this.timeline.redraw();
        onMoved(seq);
      },
    });
    this.el = h('main', { class: 'recording' },
      h('header', {}, title, this.summary),
      this.legend,
      this.filterBar(),
      plot,
      recording === null ? h('p', { class: 'muted' }, 'This VM records nothing: there is no past to travel in.') : this.inspector.el);
  }

  private filterBar(): HTMLElement {
    const reason = h('select', { 'data-testid': 'filter-reason' }, h('option', { value: '' }, 'any reason'),
      ...Object.keys(REASON_COLOURS).map((r) => h('option', { value: r }, r)));
    const pc = h('input', { placeholder: 'pc (hex)', size: 14, 'data-testid': 'filter-pc' });
    const address = h('input', { placeholder: 'address (hex)', size: 14, 'data-testid': 'filter-address' });
    const len = h('input', { placeholder: 'len', size: 4, 'data-testid': 'filter-len' });
    const apply = () => {
      const f: Filter = {};
      if (reason.value !== '') f.reason = reason.value;
      const p = parseAddress(pc.value);
      if (p !== null) f.pc = p;
      const a = parseAddress(address.value);
      if (a !== null) {
        f.address = a;
        f.len = Number(len.value) || 1;
      }
      this.filter = f;
      this.applyFilter();
    };
    for (const el of [reason, pc, address, len]) el.addEventListener('change', apply);
    const goto = h('input', { placeholder: 'exit #', size: 8, 'data-testid': 'goto-exit' });
    goto.addEventListener('keydown', (e) => {
      if (e.key !== 'Enter' || this.cols === null) return;
      const k = this.cols.indexOfSeq(Number(goto.value));
      if (k >= 0) void this.select(k, true);
    });
    return h('div', { class: 'filters' }, 'filter: ', reason, ' ', pc, ' ', address, ' ', len, ' ', this.filterInfo,
      h('span', { class: 'spacer' }), 'go to ', goto, ' ', h('button', { onclick: () => this.timeline.fit(), 'data-testid': 'fit' }, 'whole run'));
  }

  private applyFilter(): void {
    if (this.cols === null) return;
    const mask = this.cols.match(this.filter);
    this.timeline.mask = mask;
    let n = 0;
    if (mask !== null) for (let k = 0; k < mask.length; k++) n += mask[k];
    this.filterInfo.textContent = mask === null ? '' : `${formatCount(n)} matching${this.cols.complete ? '' : ' so far'}`;
    this.timeline.redraw();
  }

  setColumns(cols: ExitColumns): void {
    this.cols = cols;
    this.timeline.setColumns(cols);
    this.refreshSummary();
  }

  /** New exits arrived (a live VM): the legend, the counts and the view follow. */
  grew(): void {
    if (this.cols === null) return;
    this.refreshSummary();
    if (this.filter.reason !== undefined || this.filter.pc !== undefined || this.filter.address !== undefined) this.applyFilter();
    this.timeline.follow();
  }

  private refreshSummary(): void {
    const c = this.cols!;
    const counts = c.counts();
    const last = c.count === 0 ? 0 : c.icount[c.count - 1];
    clear(this.summary);
    append(this.summary,
      h('span', { 'data-testid': 'exit-count' }, `${formatCount(c.count)} exits${c.complete ? '' : ' so far'}`), ' · ',
      h('span', { 'data-testid': 'icount' }, `${formatCount(Math.max(last, c.end?.icount ?? 0))} instructions`), ' · ',
      c.end !== null ? `ended: ${c.end.reason}` : c.closed ? 'closed' : 'open (still recording, or not closed)');
    if (!c.complete) append(this.summary, ' · ', h('span', { class: 'indexing', 'data-testid': 'index-progress' }, indexing(c)));
    clear(this.legend);
    counts.forEach((n, i) => {
      if (n === 0) return;
      const r = c.reasons[i];
      append(this.legend, h('span', { class: 'chip', 'data-testid': `reason-${r}` },
        h('i', { class: `swatch reason-${r}` }), `${r} `, h('b', { 'data-testid': `reason-count-${r}` }, formatCount(n))));
    });
    if (!c.complete) append(this.legend, h('span', { class: 'muted' }, 'so far'));
  }

  async select(k: number, reveal = false): Promise<void> {
    if (this.cols === null) return;
    this.timeline.selected = k;
    if (reveal) this.timeline.focus(k);
    this.timeline.redraw();
    if (this.recording !== null) await this.inspector.standAtExit(this.cols.seq[k]);
  }

  close(): void {
    this.inspector.close();
    this.timeline.dispose();
  }
}

/**
 * Reads the rest of a recording's timeline while the server is still building its index (a big recording opened
 * for the first time): part after part, each a long poll the server answers when it has walked further.
 */
async function readRest(name: string, cols: ExitColumns, onPart: () => void): Promise<void> {
  while (!cols.complete) {
    const next = cols.count === 0 ? 0 : cols.seq[cols.count - 1] + 1;
    cols.appendWire(await getBinary(`/v1/ui/recordings/${enc(name)}/timeline?fromSeq=${next}`));
    onPart();
  }
}

/** Updates the address bar to the place without a new history entry (the router is not woken). */
function keepPlace(base: string, seq: number | null): void {
  const hash = seq === null ? base : `${base}?exit=${seq}`;
  if (location.hash !== hash) history.replaceState(null, '', hash);
}

export function recordingView(name: string, exit: number | null): View {
  const base = `#/recordings/${enc(name)}`;
  const page = new TimelinePage(h('h2', {}, 'recording ', h('code', {}, name)), name, (seq) => keepPlace(base, seq));
  void (async () => {
    const t0 = performance.now();
    const timeline = (query: string) => getBinary(`/v1/ui/recordings/${enc(name)}/timeline?${query}`);
    // Reasons and instruction counts first: enough to draw; the rest (pc, addresses) for filters comes after.
    const cols = ExitColumns.fromWire(await timeline('columns=icount,reason'));
    page.setColumns(cols);
    performance.measure('hindsight:timeline-loaded', { start: t0 });
    cols.addWire(await timeline(`columns=${cols.dense ? '' : 'seq,'}pcLo,pcHi,addr,size,flags&limit=${cols.count}`));
    // A deep link stands at its exit as soon as the exit is there.
    let linked = exit === null;
    const standAtLink = async () => {
      const k = linked ? -1 : cols.indexOfSeq(exit!);
      if (k < 0) return;
      linked = true;
      await page.select(k, true);
    };
    await standAtLink();
    await readRest(name, cols, () => {
      page.grew();
      void standAtLink();
    });
    performance.measure('hindsight:timeline-complete', { start: t0 });
    page.el.dataset.ready = 'true';
  })().catch((e: Error) => append(page.el, h('p', { class: 'error' }, e.message)));
  return { el: page.el, close: () => page.close() };
}

export function vmView(id: string): View {
  const state = h('span', { 'data-testid': 'vm-state' });
  const base = `#/vms/${enc(id)}`;
  let page: TimelinePage | null = null;
  let channel: Channel | null = null;
  let timer: ReturnType<typeof setInterval> | undefined;
  const el = h('div', {});
  void (async () => {
    const vm = await getJson<VmSummary>(`/v1/vms/${enc(id)}`);
    const observe = await getJson<{ token: string; channel: string; recording: string | null; kind: string }>(`/v1/ui/vms/${enc(id)}/observe`);
    const title = h('h2', {}, `${vm.kind === 'live' ? 'VM' : 'replay'} `, h('code', {}, id), ` (${vm.name}) `, state);
    page = new TimelinePage(title, observe.recording, (seq) => keepPlace(base, seq));
    append(el, page.el);
    state.textContent = vm.state;
    let cols = new ExitColumns([]);
    // Exits that stream in before the recording so far is read are kept for after it.
    const early: { [key: string]: Value }[] = [];
    let loaded = false;
    channel = await Channel.open(observe.channel, observe.token, 'observer');
    channel.onMessage((m) => {
      if (m.type === 'exit') {
        const exit = m.exit as { [key: string]: Value };
        if (!loaded) early.push(exit);
        else if (cols.appendExit(exit)) page!.grew();
      } else if (m.type === 'state') state.textContent = String(m.state);
      else if (m.type === 'ended') state.textContent = `ended (${(m.end as { reason: string }).reason})`;
      else if (m.type === 'closed') state.textContent += ' · channel closed';
    });
    if (observe.recording !== null) {
      cols = ExitColumns.fromWire(await getBinary(`/v1/ui/recordings/${enc(observe.recording)}/timeline`));
      await readRest(observe.recording, cols, () => undefined);
    }
    else cols = new ExitColumns(['MMIO', 'RISCV_SBI', 'INTR', 'SYSTEM_EVENT', 'DEBUG', 'RISCV_CSR', 'INTERNAL_ERROR']);
    for (const e of early) cols.appendExit(e);
    loaded = true;
    page.setColumns(cols);
    page.el.dataset.ready = 'true';
    // The recording on disk lags the stream by up to a write batch: what is missing between the two is read again
    // until it is there.
    if (observe.recording !== null) {
      const rec = observe.recording;
      timer = setInterval(() => {
        if (cols.count === 0) return;
        let gap = -1;
        for (let k = 0; k < cols.count; k++) if (cols.seq[k] !== k) { gap = k; break; }
        if (gap < 0) return;
        void getBinary(`/v1/ui/recordings/${enc(rec)}/timeline?fromSeq=${gap}`).then((buf) => {
          if (cols.fillGap(buf) > 0) page!.grew();
        }).catch(() => undefined);
      }, 1000);
    }
  })().catch((e: Error) => append(el, h('p', { class: 'error' }, e.message)));
  return {
    el,
    close: () => {
      clearInterval(timer);
      channel?.close();
      page?.close();
    },
  };
}

