/** Counters for /metrics, in the Prometheus text exposition format. */
import type { VmSummary } from '../client-sdk/protocol.js';

export class ServerMetrics {
  private connections = 0;
  private readonly errors = new Map<string, number>();
  private vmsCreated = 0;
  private httpRequests = 0;

  connection(delta: number): void {
    this.connections += delta;
  }

  protocolError(code: string): void {
    this.errors.set(code, (this.errors.get(code) ?? 0) + 1);
  }

  vmCreated(): void {
    this.vmsCreated++;
  }

  httpRequest(): void {
    this.httpRequests++;
  }

  render(vms: VmSummary[]): string {
    const out: string[] = [];
    const metric = (name: string, type: string, help: string, samples: [string, number][]) => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [labels, value] of samples) out.push(`${name}${labels} ${value}`);
    };
    const label = (pairs: Record<string, string>) =>
      `{${Object.entries(pairs).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`).join(',')}}`;
    const byState = new Map<string, number>();
    for (const vm of vms) byState.set(vm.state, (byState.get(vm.state) ?? 0) + 1);
    metric('hindsight_vms', 'gauge', 'VMs by state.', [...byState].map(([state, n]) => [label({ state }), n]));
    metric('hindsight_vms_created_total', 'counter', 'VMs created since the server started.', [['', this.vmsCreated]]);
    metric('hindsight_ws_connections', 'gauge', 'Attached WebSocket clients.', [['', this.connections]]);
    metric('hindsight_http_requests_total', 'counter', 'HTTP requests served.', [['', this.httpRequests]]);
    metric('hindsight_protocol_errors_total', 'counter', 'Errors sent to clients, by code.', [...this.errors].map(([code, n]) => [label({ code }), n]));
    metric('hindsight_vm_instructions', 'gauge', 'Guest instructions retired, as of the last report from the VM worker (at most 250 ms old while it runs).', vms.map((vm) => [label({ vm: vm.id }), vm.icount]));
    metric('hindsight_vm_exits_total', 'counter', 'Exits by VM and reason.',
      vms.flatMap((vm) => Object.entries(vm.exitsByReason).map(([reason, n]): [string, number] => [label({ vm: vm.id, reason }), n])));
    return `${out.join('\n')}\n`;
  }
}
