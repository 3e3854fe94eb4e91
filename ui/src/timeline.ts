/**
 * The timeline: exits over instruction count on a canvas, a lane per exit reason, each in its reason's colour.
 * Zoomed out, a lane shows how many exits fall in each pixel column (bar height on a log scale); zoomed in, each
 * exit is a tick. Every frame walks only the exits in view, from typed arrays, so a million exits pan and zoom
 * smoothly. Wheel zooms around the pointer, dragging pans, a click selects the nearest exit, ← and → step through
 * the exits (those the filter keeps).
 */
import type { ExitColumns } from './columns.js';
import { formatCount, hex, REASON_COLOURS } from './dom.js';

const AXIS = 22, LANE = 26, LABELS = 150, PAD = 6;

export interface TimelineEvents {
  select(index: number): void;
}

function niceStep(span: number, target: number): number {
  const raw = span / target;
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (raw <= m * p) return m * p;
  return 10 * p;
}

/** An axis label: `n` in k/M/G, with as many decimals as ticks `step` apart need to differ. */
export function shortCount(n: number, step = n): string {
  const unit = n >= 1e9 ? 1e9 : n >= 1e6 ? 1e6 : n >= 1e3 ? 1e3 : 1;
  const suffix = { 1: '', 1e3: 'k', 1e6: 'M', 1e9: 'G' }[unit];
  const decimals = Math.min(9, Math.max(0, Math.ceil(Math.log10(unit / step))));
  return `${(n / unit).toFixed(decimals)}${suffix}`;
}

export class TimelineView {
  readonly canvas: HTMLCanvasElement;
  private readonly ctx: CanvasRenderingContext2D;
  private readonly tip: HTMLDivElement;
  cols: ExitColumns | null = null;
  mask: Uint8Array | null = null;
  selected = -1;
  /** The time traveller's place (instructions retired), drawn as a marker. */
  place: number | null = null;
  /** The instruction counts at the left and right edges of the plot. */
  t0 = 0;
  t1 = 1;
  private lanes: number[] = [];
  private width = 0;
  private pending = false;
  private painted = false;
  private drag: { x: number; t0: number; t1: number; moved: boolean } | null = null;
  private readonly resize = new ResizeObserver(() => this.redraw());
  private readonly onMouseUp = (e: MouseEvent) => this.mouseup(e);

  constructor(container: HTMLElement, private readonly events: TimelineEvents) {
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'timeline';
    this.canvas.tabIndex = 0;
    this.canvas.setAttribute('data-testid', 'timeline');
    this.tip = document.createElement('div');
    this.tip.className = 'tip';
    container.append(this.canvas, this.tip);
    const ctx = this.canvas.getContext('2d');
    if (ctx === null) throw new Error('no 2D canvas');
    this.ctx = ctx;
    this.resize.observe(container);
    this.canvas.addEventListener('wheel', (e) => this.wheel(e), { passive: false });
    this.canvas.addEventListener('mousedown', (e) => { this.drag = { x: e.offsetX, t0: this.t0, t1: this.t1, moved: false }; });
    window.addEventListener('mouseup', this.onMouseUp);
    this.canvas.addEventListener('mousemove', (e) => this.mousemove(e));
    this.canvas.addEventListener('mouseleave', () => { this.tip.style.display = 'none'; });
    this.canvas.addEventListener('keydown', (e) => this.key(e));
  }

  /** The page leaves the timeline: nothing of it stays subscribed to the window. */
  dispose(): void {
    this.resize.disconnect();
    window.removeEventListener('mouseup', this.onMouseUp);
  }

  setColumns(cols: ExitColumns): void {
    const first = this.cols === null;
    this.cols = cols;
    if (first) this.fit();
    this.redraw();
  }

  /**
   * Whether the view keeps up with a live VM's newest exits: until the user zooms, pans or goes to an exit, and
   * again after "whole run".
   */
  private following = true;

  /** The whole recording in view. */
  fit(): void {
    this.following = true;
    const c = this.cols;
    const last = c === null || c.count === 0 ? 1 : Math.max(c.icount[c.count - 1], c.end?.icount ?? 0);
    this.t0 = 0;
    this.t1 = Math.max(last * 1.01, 10);
    this.redraw();
  }

  /** Centres the view on an exit, zoomed in so that the exits around it stand apart. */
  focus(index: number, around = 40): void {
    const c = this.cols;
    if (c === null || index < 0 || index >= c.count) return;
    this.following = false;
    const a = c.icount[Math.max(0, index - around)], b = c.icount[Math.min(c.count - 1, index + around)];
    const span = Math.max(b - a, 20);
    this.t0 = Math.max(0, a - span * 0.05);
    this.t1 = this.t0 + span * 1.1;
    this.redraw();
  }

  /** Keeps the latest exits in view (a live VM), unless the user is looking elsewhere. */
  follow(): void {
    const c = this.cols;
    if (c === null || c.count === 0 || !this.following) {
      this.redraw();
      return;
    }
    const last = c.icount[c.count - 1];
    if (last > this.t1) {
      const span = this.t1 - this.t0;
      if (this.t0 === 0) this.t1 = last * 1.05;
      else {
        this.t1 = last + span * 0.05;
        this.t0 = this.t1 - span;
      }
    }
    this.redraw();
  }

  redraw(): void {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.draw();
    });
  }

  private x(t: number): number {
    return LABELS + ((t - this.t0) / (this.t1 - this.t0)) * (this.width - LABELS - PAD);
  }

  private t(x: number): number {
    return this.t0 + ((x - LABELS) / (this.width - LABELS - PAD)) * (this.t1 - this.t0);
  }

  private draw(): void {
    const started = performance.now();
    this.paint();
    // Each frame's cost, for the benchmark (bench/ui.ts) and the browser's own performance panel (the last 500).
    if (this.cols === null) return;
    if (++this.draws % 500 === 0) performance.clearMeasures('hindsight:timeline-draw');
    performance.measure('hindsight:timeline-draw', { start: started });
  }

  private draws = 0;

  private paint(): void {
    const c = this.cols;
    const dpr = window.devicePixelRatio || 1;
    const cssWidth = this.canvas.parentElement!.clientWidth;
    const counts = c === null ? [] : c.counts();
    this.lanes = counts.flatMap((n, i) => (n > 0 ? [i] : []));
    const height = AXIS + Math.max(1, this.lanes.length) * LANE + PAD;
    if (this.canvas.width !== Math.round(cssWidth * dpr) || this.canvas.height !== Math.round(height * dpr)) {
      this.canvas.width = Math.round(cssWidth * dpr);
      this.canvas.height = Math.round(height * dpr);
      this.canvas.style.width = `${cssWidth}px`;
      this.canvas.style.height = `${height}px`;
    }
    this.width = cssWidth;
    this.canvas.dataset.t0 = String(this.t0);
    this.canvas.dataset.t1 = String(this.t1);
    this.canvas.dataset.plotLeft = String(LABELS);
    this.canvas.dataset.plotWidth = String(cssWidth - LABELS - PAD);
    const g = this.ctx;
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.fillStyle = '#14161b';
    g.fillRect(0, 0, cssWidth, height);
    this.axis(height);
    if (c !== null) {
      this.lanes.forEach((reason, lane) => {
        const y = AXIS + lane * LANE;
        g.fillStyle = lane % 2 === 0 ? '#1a1d24' : '#171a20';
        g.fillRect(LABELS, y, cssWidth - LABELS, LANE);
        g.fillStyle = '#c9d1d9';
        g.font = '12px system-ui, sans-serif';
        g.textBaseline = 'middle';
        g.fillText(`${c.reasons[reason]}`, 8, y + LANE / 2 - 6);
        g.fillStyle = '#8b949e';
        g.fillText(formatCount(counts[reason]), 8, y + LANE / 2 + 7);
      });
      this.exits(c);
      if (!c.complete) this.unread(c, height);
      this.markers(c, height);
    }
    if (!this.painted && c !== null) {
      this.painted = true;
      performance.mark('hindsight:timeline-painted');
    }
  }

  private axis(height: number): void {
    const g = this.ctx;
    const step = niceStep(this.t1 - this.t0, Math.max(2, (this.width - LABELS) / 110));
    g.strokeStyle = '#2a2f38';
    g.fillStyle = '#8b949e';
    g.font = '11px system-ui, sans-serif';
    g.textBaseline = 'middle';
    for (let t = Math.ceil(this.t0 / step) * step; t <= this.t1; t += step) {
      const x = Math.round(this.x(t)) + 0.5;
      g.beginPath();
      g.moveTo(x, AXIS - 4);
      g.lineTo(x, height);
      g.stroke();
      g.fillText(shortCount(t, step), x + 3, AXIS / 2);
    }
    g.fillText('icount', 8, AXIS / 2);
  }

  private exits(c: ExitColumns): void {
    const g = this.ctx;
    const i0 = c.indexAtIcount(this.t0), i1 = c.indexAtIcount(this.t1 + 1);
    const plot = this.width - LABELS - PAD;
    // Not laid out (the page is being left, or too narrow to plot anything).
    if (plot < 1) return;
    const laneOf = new Int8Array(c.reasons.length).fill(-1);
    this.lanes.forEach((r, lane) => { laneOf[r] = lane; });
    const { icount, reason } = c;
    const mask = this.mask;
    const scale = plot / (this.t1 - this.t0);
    if (i1 - i0 <= plot * 2) {
      // Few enough to draw one by one.
      for (let k = i0; k < i1; k++) {
        const lane = laneOf[reason[k]];
        const x = LABELS + (icount[k] - this.t0) * scale;
        const keep = mask === null || mask[k] === 1;
        g.fillStyle = keep ? REASON_COLOURS[c.reasons[reason[k]]] ?? '#aaa' : '#3a3f48';
        g.fillRect(Math.floor(x), AXIS + lane * LANE + 3, 2, LANE - 6);
      }
      return;
    }
    // Density: exits per pixel column and lane, bars on a log scale.
    const cols = Math.ceil(plot) + 1;
    const bins = new Uint32Array(cols * this.lanes.length);
    const dim = mask === null ? null : new Uint32Array(cols * this.lanes.length);
    for (let k = i0; k < i1; k++) {
      const px = ((icount[k] - this.t0) * scale) | 0;
      const at = laneOf[reason[k]] * cols + px;
      if (mask === null || mask[k] === 1) bins[at]++;
      else dim![at]++;
    }
    let max = 1;
    for (let i = 0; i < bins.length; i++) if (bins[i] > max) max = bins[i];
    if (dim !== null) for (let i = 0; i < dim.length; i++) if (dim[i] > max) max = dim[i];
    const norm = 1 / Math.log(1 + max);
    this.lanes.forEach((r, lane) => {
      const y = AXIS + lane * LANE + LANE - 3, full = LANE - 6;
      const bar = (arr: Uint32Array, colour: string) => {
        g.fillStyle = colour;
        for (let px = 0; px < cols; px++) {
          const n = arr[lane * cols + px];
          if (n === 0) continue;
          // Any exit at all shows (a lone one among a million is still a mark); more make it taller.
          const hgt = full * (0.3 + 0.7 * Math.log(1 + n) * norm);
          g.fillRect(LABELS + px, y - hgt, 1, hgt);
        }
      };
      if (dim !== null) bar(dim, '#3a3f48');
      bar(bins, REASON_COLOURS[c.reasons[r]] ?? '#aaa');
    });
  }

  /**
   * While the server is still reading the recording: the part after the last exit read so far is hatched, so that
   * an empty stretch there is not taken for a stretch without exits.
   */
  private unread(c: ExitColumns, height: number): void {
    const g = this.ctx;
    const from = Math.max(LABELS, Math.ceil(this.x(c.count === 0 ? 0 : c.icount[c.count - 1])) + 1), to = this.width - PAD;
    if (from >= to) return;
    g.save();
    g.beginPath();
    g.rect(from, AXIS, to - from, height - AXIS);
    g.clip();
    g.fillStyle = 'rgba(20, 22, 27, 0.75)';
    g.fillRect(from, AXIS, to - from, height - AXIS);
    g.strokeStyle = '#2a2f38';
    g.beginPath();
    for (let x = from - height; x < to; x += 10) {
      g.moveTo(x, height);
      g.lineTo(x + height, 0);
    }
    g.stroke();
    g.fillStyle = '#8b949e';
    g.font = '12px system-ui, sans-serif';
    g.textBaseline = 'middle';
    g.fillText('reading…', from + 8, AXIS + 12);
    g.restore();
  }

  private markers(c: ExitColumns, height: number): void {
    const g = this.ctx;
    if (this.place !== null && this.place >= this.t0 && this.place <= this.t1) {
      const x = Math.round(this.x(this.place)) + 0.5;
      g.strokeStyle = '#ff9f1c';
      g.setLineDash([4, 3]);
      g.beginPath();
      g.moveTo(x, AXIS);
      g.lineTo(x, height);
      g.stroke();
      g.setLineDash([]);
    }
    if (this.selected >= 0 && this.selected < c.count) {
      const t = c.icount[this.selected];
      if (t >= this.t0 && t <= this.t1) {
        const x = Math.round(this.x(t)) + 0.5;
        const lane = this.lanes.indexOf(c.reason[this.selected]);
        g.strokeStyle = '#ffffff';
        g.lineWidth = 1;
        g.beginPath();
        g.moveTo(x, AXIS);
        g.lineTo(x, height);
        g.stroke();
        g.strokeRect(x - 4, AXIS + lane * LANE + 1, 8, LANE - 2);
      }
    }
  }

  private wheel(e: WheelEvent): void {
    e.preventDefault();
    if (e.offsetX < LABELS) return;
    this.following = false;
    const at = this.t(e.offsetX);
    const k = Math.exp((e.deltaY || e.deltaX) * 0.002);
    const span = Math.max(10, (this.t1 - this.t0) * k);
    this.t0 = at - ((at - this.t0) / (this.t1 - this.t0)) * span;
    this.t1 = this.t0 + span;
    if (this.t0 < 0) {
      this.t1 -= this.t0;
      this.t0 = 0;
    }
    this.redraw();
  }

  private mousemove(e: MouseEvent): void {
    if (this.drag !== null && (e.buttons & 1) !== 0) {
      const dx = e.offsetX - this.drag.x;
      if (Math.abs(dx) > 3) this.drag.moved = true;
      if (this.drag.moved) {
        this.following = false;
        const dt = (dx / (this.width - LABELS - PAD)) * (this.drag.t1 - this.drag.t0);
        this.t0 = Math.max(0, this.drag.t0 - dt);
        this.t1 = this.t0 + (this.drag.t1 - this.drag.t0);
        this.redraw();
      }
      return;
    }
    const k = this.nearest(e.offsetX, e.offsetY);
    const c = this.cols;
    if (k < 0 || c === null) {
      this.tip.style.display = 'none';
      return;
    }
    this.tip.textContent = `exit ${c.seq[k]} · ${c.reasons[c.reason[k]]} · icount ${formatCount(c.icount[k])} · pc ${hex(c.pc(k))}${Number.isNaN(c.addr[k]) ? '' : ` · addr ${hex(c.addr[k])}`}`;
    this.tip.style.display = 'block';
    this.tip.style.left = `${Math.min(e.offsetX + 12, this.width - 320)}px`;
    this.tip.style.top = `${e.offsetY + 14}px`;
  }

  private mouseup(e: MouseEvent): void {
    const d = this.drag;
    this.drag = null;
    if (d === null || d.moved || e.target !== this.canvas) return;
    const k = this.nearest(e.offsetX, e.offsetY);
    if (k >= 0) this.events.select(k);
  }

  /** The exit nearest to a point (within 6 pixels; in the lane under it when there is one), or -1. */
  private nearest(x: number, y: number): number {
    const c = this.cols;
    if (c === null || x < LABELS) return -1;
    const lane = Math.floor((y - AXIS) / LANE);
    const reason = lane >= 0 && lane < this.lanes.length ? this.lanes[lane] : -1;
    const lo = c.indexAtIcount(this.t(x - 6)), hi = c.indexAtIcount(this.t(x + 6) + 1);
    let best = -1, bestD = Infinity;
    for (let k = lo; k < hi && k - lo < 100_000; k++) {
      if (reason >= 0 && c.reason[k] !== reason) continue;
      if (this.mask !== null && this.mask[k] !== 1) continue;
      const d = Math.abs(this.x(c.icount[k]) - x);
      if (d < bestD) {
        bestD = d;
        best = k;
      }
    }
    return bestD <= 6 ? best : -1;
  }

  private key(e: KeyboardEvent): void {
    const c = this.cols;
    if (c === null) return;
    if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
      const dir = e.key === 'ArrowRight' ? 1 : -1;
      let k = this.selected < 0 ? (dir > 0 ? 0 : c.count - 1) : this.selected + dir;
      while (k >= 0 && k < c.count && this.mask !== null && this.mask[k] !== 1) k += dir;
      if (k >= 0 && k < c.count) this.events.select(k);
      e.preventDefault();
    } else if (e.key === '+' || e.key === '=' || e.key === '-') {
      this.following = false;
      const mid = (this.t0 + this.t1) / 2, span = (this.t1 - this.t0) * (e.key === '-' ? 2 : 0.5);
      this.t0 = Math.max(0, mid - span / 2);
      this.t1 = this.t0 + Math.max(span, 10);
      this.redraw();
    }
  }

  /** Brings the selected exit into view if it is outside it. */
  reveal(index: number): void {
    const c = this.cols;
    if (c === null || index < 0) return;
    const t = c.icount[index];
    if (t < this.t0 || t > this.t1) this.focus(index);
    else this.redraw();
  }
}
