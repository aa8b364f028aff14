import type Docker from 'dockerode';
import { waitFor } from '../util/wait-for.ts';

export interface SwarmMember {
  name: string;
  address: string;
  engine: Docker;
}

/**
 * Forms a Swarm over nodes whose engines already answer: the first manager initialises it, the other
 * managers and the workers join in parallel with the right token.
 */
export async function formSwarm(managers: SwarmMember[], workers: SwarmMember[]): Promise<void> {
  const [leader, ...others] = managers;
  if (!leader) throw new Error('A Swarm needs at least one manager.');
  await leader.engine.swarmInit({
    ListenAddr: '0.0.0.0:2377',
    AdvertiseAddr: `${leader.address}:2377`,
    ForceNewCluster: false,
  });
  const swarm = await leader.engine.swarmInspect();
  const tokens = swarm.JoinTokens as { Manager: string; Worker: string };
  const join = (member: SwarmMember, token: string) =>
    member.engine.swarmJoin({
      ListenAddr: '0.0.0.0:2377',
      AdvertiseAddr: `${member.address}:2377`,
      RemoteAddrs: [`${leader.address}:2377`],
      JoinToken: token,
    });
  // Managers join one at a time: Raft adds members one by one anyway, and parallel joins can time out.
  for (const manager of others) await join(manager, tokens.Manager);
  await Promise.all(workers.map((w) => join(w, tokens.Worker)));
  // Ready means what `docker node ls` shows: every node Ready, every manager reachable.
  const expected = managers.length + workers.length;
  await waitFor(
    async () => {
      const nodes = (await leader.engine.listNodes()) as {
        Status?: { State?: string };
        ManagerStatus?: { Reachability?: string };
        Spec?: { Role?: string };
      }[];
      return (
        nodes.length === expected &&
        nodes.every(
          (n) =>
            n.Status?.State === 'ready' &&
            (n.Spec?.Role !== 'manager' || n.ManagerStatus?.Reachability === 'reachable'),
        )
      );
    },
    { timeoutMs: 30_000, intervalMs: 50, what: 'every Swarm node to be ready' },
  );
}

/** Adds one more worker to an existing Swarm, through any manager that answers. */
export async function joinAsWorker(manager: SwarmMember, worker: SwarmMember): Promise<void> {
  const swarm = await manager.engine.swarmInspect();
  await worker.engine.swarmJoin({
    ListenAddr: '0.0.0.0:2377',
    AdvertiseAddr: `${worker.address}:2377`,
    RemoteAddrs: [`${manager.address}:2377`],
    JoinToken: (swarm.JoinTokens as { Worker: string }).Worker,
  });
}

/** Removes a departed node from the Swarm's node list, so `docker node ls` stays truthful. */
export async function forgetNode(manager: SwarmMember, hostname: string): Promise<void> {
  const nodes = await manager.engine.listNodes();
  for (const node of nodes as { ID: string; Description?: { Hostname?: string } }[]) {
    if (node.Description?.Hostname === hostname) {
      await manager.engine.getNode(node.ID).remove({ force: true });
    }
  }
}
