import type { FastifyPluginAsync } from 'fastify';

/** What GET /api/health reports; the lab fills it in as it comes up. */
export interface Health {
  status: 'starting' | 'ready' | 'recovering' | 'failed';
  /** What the lab is doing while starting or recovering (the engine restarted), or why it failed. */
  detail?: string;
  engine?: {
    version: string;
    apiVersion: string;
    host: string;
    /** Whether the lab started this engine itself. */
    owned: boolean;
  };
  images: { name: string; tag: string; role: string; publish: string[] }[];
  /** Whether the kernel has IPVS (Swarm's routing mesh and VIP load balancing need it). */
  ipvs: boolean;
  /** Whether the lab's OCI runtime wrapper is the engine's default runtime. */
  capabilityWrapper: boolean;
  /** Capabilities this host cannot grant, removed from privileged containers by the wrapper. */
  missingCapabilities: string[];
  /** Capabilities the wrapper removes from every container, nodes included. */
  droppedCapabilities?: string[];
  /** The security profile in force: what it promises, what it does not, and what the host gives. */
  security?: ReturnType<typeof import('../security/profiles.ts').describeProfile> & {
    firewall: string[];
    /** Where session networks take their /24s, and why there. */
    sandboxRange: { range: string; why: string; avoided: string[] };
  };
  mirror?: { mode: string };
  aptProxy?: { offline: boolean };
}

export interface HealthSource {
  health(): Health;
}

export const healthRoute: FastifyPluginAsync<{ source: HealthSource }> = async (app, { source }) => {
  app.get('/api/health', async (_request, reply) => {
    const health = source.health();
    // 503 until ready, so load balancers and test runners can wait on this URL.
    return reply.status(health.status === 'ready' ? 200 : 503).send({
      ...health,
      uptimeSeconds: Math.round(process.uptime()),
    });
  });
};
