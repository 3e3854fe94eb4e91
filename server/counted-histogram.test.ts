/**
 * The round trips counted in a VM's worker (vm/round-trip-counts.ts) and shown by CountedHistogram read in /metrics
 * exactly as prom-client's own Histogram shows the same values observed one by one (the reference).
 */
import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { CountedHistogram } from './counted-histogram.js';
import { ROUND_TRIP_BUCKETS, RoundTripCounter } from './vm/round-trip-counts.js';

describe('CountedHistogram', () => {
  it('renders what prom-client\'s Histogram renders for the same round trips, bounds included', async () => {
    // Values on every bound (le is "less or equal"), between them, past the last, in several reports.
    const values = [...ROUND_TRIP_BUCKETS, ...ROUND_TRIP_BUCKETS.map((b) => b * 1.5), 0, 1e-7, 42, 0.0003, 0.0003, 0.02];
    const reference = new Registry();
    const observed = new Histogram({ name: 'rt_seconds', help: 'h', buckets: [...ROUND_TRIP_BUCKETS], registers: [reference] });
    for (const v of values) observed.observe(v);

    const registry = new Registry();
    const counted = new CountedHistogram('rt_seconds', 'h', ROUND_TRIP_BUCKETS, registry);
    const counter = new RoundTripCounter();
    for (let i = 0; i < values.length; i++) {
      counter.add(values[i]);
      if (i % 7 === 6) counted.add(counter.take()!);
    }
    counted.add(counter.take()!);
    expect(counter.take()).toBeNull();

    // The same lines, but for the sum's last digits (added in another order).
    const sum = /^rt_seconds_sum (\S+)$/m;
    const text = await registry.metrics();
    const expected = await reference.metrics();
    expect(text.replace(sum, '')).toBe(expected.replace(sum, ''));
    expect(Number(sum.exec(text)![1])).toBeCloseTo(Number(sum.exec(expected)![1]), 9);
    expect(text).toContain(`rt_seconds_count ${values.length}`);
  });
});
