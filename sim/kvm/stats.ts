/**
 * Exit statistics in the style of `perf kvm stat`: per event, how many times it happened, its share, and the
 * average number of guest instructions run since the previous event. Events are the exits to userspace (by KVM
 * exit reason) and the traps handled inside the hypervisor (by what handled them).
 */
export interface StatRow {
  event: string;
  /** 'exit' went to userspace; 'kernel' was handled in the hypervisor layer. */
  kind: 'exit' | 'kernel';
  count: number;
  share: number;
  avgInsnsBetween: number;
}

export interface StatsState {
  lastIcount: number;
  events: { event: string; kind: 'exit' | 'kernel'; count: number; insns: number }[];
}

export class ExitStats {
  private readonly counts = new Map<string, { kind: 'exit' | 'kernel'; count: number; insns: number }>();
  private lastIcount = 0;

  record(event: string, kind: 'exit' | 'kernel', icount: number): void {
    let e = this.counts.get(event);
    if (e === undefined) this.counts.set(event, (e = { kind, count: 0, insns: 0 }));
    e.count++;
    e.insns += icount - this.lastIcount;
    this.lastIcount = icount;
  }

  /** The statistics in a checkpoint: a seek puts back the counts the run had there. */
  saveState(): StatsState {
    return { lastIcount: this.lastIcount, events: [...this.counts].map(([event, e]) => ({ event, ...e })) };
  }

  restoreState(state: StatsState): void {
    this.counts.clear();
    for (const { event, kind, count, insns } of state.events) this.counts.set(event, { kind, count, insns });
    this.lastIcount = state.lastIcount;
  }

  count(event: string): number {
    return this.counts.get(event)?.count ?? 0;
  }

  rows(): StatRow[] {
    let total = 0;
    for (const e of this.counts.values()) total += e.count;
    return [...this.counts.entries()]
      .map(([event, e]) => ({ event, kind: e.kind, count: e.count, share: total ? e.count / total : 0, avgInsnsBetween: e.insns / e.count }))
      .sort((a, b) => b.count - a.count || a.event.localeCompare(b.event));
  }
}
