/**
 * /metrics in the Prometheus text format, through prom-client: the process and Node.js metrics prom-client collects
 * (CPU, memory, event-loop lag, GC, handles), the server's own counters, an exit round-trip histogram, and the
 * figures of each VM. Per-VM series are read from the VMs that exist when /metrics is scraped, so a deleted VM's
 * series are gone from the next scrape (the label set stays bounded by the VMs alive, not by the VMs ever made).
 */
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { Role, VmState, VmSummary } from '../client-sdk/protocol.js';
import type { ChannelMetrics } from './channel/vm-channel.js';
import { CountedHistogram } from './counted-histogram.js';
import { ROUND_TRIP_BUCKETS, type RoundTripCounts } from './vm/round-trip-counts.js';

/** Every state a VM reports, so that `hindsight_vms` shows 0 for the states no VM is in. */
const STATES: readonly VmState[] = ['created', 'running', 'waiting', 'paused', 'halted', 'ended'];

/** What the VMs tell the metrics (through their handles in the main thread). */
export interface VmMetrics extends ChannelMetrics {
  /** Seconds from an exit sent to the controller until its answer was taken, as counted in the VM's worker. */
  exitRoundTrips(counted: RoundTripCounts): void;
}

export class ServerMetrics implements VmMetrics {
  readonly registry = new Registry();
  private vms: () => VmSummary[] = () => [];
  private readonly vmsCreated: Counter;
  private readonly connections: Gauge;
  private readonly httpRequests: Counter<'method' | 'status'>;
  private readonly protocolErrors: Counter<'code'>;
  private readonly roundTrip: CountedHistogram;

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.vmsCreated = new Counter({ name: 'hindsight_vms_created_total', help: 'VMs created since the server started.', registers });
    this.connections = new Gauge({ name: 'hindsight_ws_connections', help: 'WebSocket clients attached to VM channels.', registers });
    this.httpRequests = new Counter({ name: 'hindsight_http_requests_total', help: 'HTTP requests served, by method and status.', labelNames: ['method', 'status'], registers });
    this.protocolErrors = new Counter({ name: 'hindsight_protocol_errors_total', help: 'Errors sent to WebSocket clients, by code.', labelNames: ['code'], registers });
    this.roundTrip = new CountedHistogram(
      'hindsight_exit_round_trip_seconds',
      'From an exit sent to the VM\'s controller until its answer was taken (network and client included).',
      ROUND_TRIP_BUCKETS, this.registry,
    );
    const vms = () => this.vms();
    new Gauge({
      name: 'hindsight_vms', help: 'VMs by state.', labelNames: ['state'], registers,
      collect() {
        this.reset();
        const count = new Map<string, number>(STATES.map((s) => [s, 0]));
        for (const vm of vms()) count.set(vm.state, (count.get(vm.state) ?? 0) + 1);
        for (const [state, n] of count) this.set({ state }, n);
      },
    });
    new Gauge({
      name: 'hindsight_vm_instructions', help: 'Guest instructions retired, by VM (as of the worker\'s last report, at most 250 ms old while it runs).',
      labelNames: ['vm'], registers,
      collect() {
        this.reset();
        for (const vm of vms()) this.set({ vm: vm.id }, vm.icount);
      },
    });
    new Counter({
      name: 'hindsight_vm_exits_total', help: 'Exits, by VM and reason.', labelNames: ['vm', 'reason'], registers,
      collect() {
        this.reset();
        for (const vm of vms()) for (const [reason, n] of Object.entries(vm.exitsByReason)) this.inc({ vm: vm.id, reason }, n);
      },
    });
  }

  /** Where the per-VM figures come from at each scrape. */
  watch(vms: () => VmSummary[]): void {
    this.vms = vms;
  }

  connection(delta: number, _role?: Role): void {
    this.connections.inc(delta);
  }

  protocolError(code: string): void {
    this.protocolErrors.inc({ code });
  }

  exitRoundTrips(counted: RoundTripCounts): void {
    this.roundTrip.add(counted);
  }

  vmCreated(): void {
    this.vmsCreated.inc();
  }

  httpRequest(method: string, status: number): void {
    this.httpRequests.inc({ method, status: String(status) });
  }

  /** The exposition text and its content type. */
  async render(): Promise<{ contentType: string; text: string }> {
    return { contentType: this.registry.contentType, text: await this.registry.metrics() };
  }
}
