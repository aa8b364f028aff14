import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Sources the metrics read when Prometheus scrapes. */
export interface MetricSources {
  sessionsActive: () => number;
  nodesRunning: () => number;
  terminals: () => { terminals: number; attached: number; bytesOut: number; bytesIn: number };
}

/** Prometheus metrics for the lab: what an operator watches during a workshop. */
export class LabMetrics {
  readonly registry = new Registry();
  readonly sandboxCreation: Histogram<'template'>;
  readonly proxyRequests: Counter<'kind'>;

  constructor(sources: MetricSources) {
    collectDefaultMetrics({ register: this.registry, prefix: 'dockside_process_' });
    const r = [this.registry];
    new Gauge({
      name: 'dockside_sessions_active',
      help: 'Sandboxes alive now',
      registers: r,
      collect() {
        this.set(sources.sessionsActive());
      },
    });
    new Gauge({
      name: 'dockside_nodes_running',
      help: 'Node containers of live sandboxes',
      registers: r,
      collect() {
        this.set(sources.nodesRunning());
      },
    });
    new Gauge({
      name: 'dockside_terminals',
      help: 'Terminal shells alive (attached or not)',
      registers: r,
      collect() {
        this.set(sources.terminals().terminals);
      },
    });
    new Gauge({
      name: 'dockside_terminals_attached',
      help: 'Terminals with a browser attached',
      registers: r,
      collect() {
        this.set(sources.terminals().attached);
      },
    });
    new Gauge({
      name: 'dockside_terminal_output_bytes',
      help: 'Bytes sent from shells to browsers since start',
      registers: r,
      collect() {
        this.set(sources.terminals().bytesOut);
      },
    });
    new Gauge({
      name: 'dockside_terminal_input_bytes',
      help: 'Bytes typed into shells since start',
      registers: r,
      collect() {
        this.set(sources.terminals().bytesIn);
      },
    });
    this.sandboxCreation = new Histogram({
      name: 'dockside_sandbox_creation_seconds',
      help: 'Time from request to a ready sandbox',
      labelNames: ['template'],
      buckets: [0.5, 1, 1.5, 2, 3, 5, 8, 13, 20, 30, 60],
      registers: r,
    });
    this.proxyRequests = new Counter({
      name: 'dockside_preview_requests_total',
      help: 'Requests through the preview proxy',
      labelNames: ['kind'],
      registers: r,
    });
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
