/**
 * A Prometheus histogram fed with counts per bucket rather than with single observations: the VMs' workers count
 * exit round trips themselves (vm/round-trip-counts.ts), and prom-client's Histogram takes one value per
 * `observe()`. Registered in a prom-client Registry as a metric of its own; /metrics shows it as prom-client shows
 * a histogram (`_bucket` with cumulative counts per `le`, `+Inf`, `_sum`, `_count`).
 */
import type { Metric, Registry } from 'prom-client';
import type { RoundTripCounts } from './vm/round-trip-counts.js';

export class CountedHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly counts: number[];
  private sum = 0;

  constructor(readonly name: string, readonly help: string, private readonly upperBounds: readonly number[], registry: Registry) {
    this.counts = new Array<number>(upperBounds.length + 1).fill(0);
    registry.registerMetric(this as unknown as Metric);
  }

  /** Adds counts per bucket (not cumulative, the last being +Inf) and their sum. */
  add(counted: RoundTripCounts): void {
    for (let i = 0; i < this.counts.length; i++) this.counts[i] += counted.counts[i] ?? 0;
    this.sum += counted.sum;
  }

  /** What prom-client's Registry renders. */
  get(): { name: string; help: string; type: string; aggregator: string; values: { metricName: string; labels: Record<string, string | number>; value: number }[] } {
    const values = [];
    let cumulative = 0;
    for (let i = 0; i < this.counts.length; i++) {
      cumulative += this.counts[i];
      values.push({ metricName: `${this.name}_bucket`, labels: { le: i < this.upperBounds.length ? this.upperBounds[i] : '+Inf' }, value: cumulative });
    }
    values.push({ metricName: `${this.name}_sum`, labels: {}, value: this.sum }, { metricName: `${this.name}_count`, labels: {}, value: cumulative });
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}
