import {
  defineLessonChecks,
  fail,
  imageMatches,
  inspectContainer,
  pass,
} from '../../lab-server/src/checks/check-api.ts';

interface Inspected {
  State: { Running: boolean };
  Config: { Image: string };
  NetworkSettings: { Networks: Record<string, { IPAddress: string }> };
  HostConfig: { PortBindings?: Record<string, { HostPort: string }[] | null> };
}

export default defineLessonChecks({
  lesson: 'networking/user-defined-networks',
  exercises: {
    'db-on-network': async (lab) => {
      const docker = lab.node('node1').docker;
      const network = (await docker
        .getNetwork('shop')
        .inspect()
        .catch(() => undefined)) as { Name: string; Driver: string } | undefined;
      if (network?.Name !== 'shop') return fail('there is no network named shop on node1');
      if (network.Driver !== 'bridge')
        return fail(`network shop uses the ${network.Driver} driver, bridge expected`);
      const db = await inspectContainer<Inspected>(lab.node('node1'), 'db');
      if (!db) return fail('there is no container named db on node1');
      if (!imageMatches(db.Config.Image, 'redis')) return fail(`db runs ${db.Config.Image}, redis expected`);
      if (!db.State.Running) return fail('container db exists but is not running');
      if (!db.NetworkSettings.Networks.shop) return fail('db runs, but is not attached to the network shop');
      return pass('db runs Redis on the network shop');
    },
    'web-finds-db': async (lab) => {
      const node = lab.node('node1');
      const web = await inspectContainer<Inspected>(node, 'web');
      if (!web) return fail('there is no container named web on node1');
      if (!imageMatches(web.Config.Image, 'nginx'))
        return fail(`web runs ${web.Config.Image}, nginx expected`);
      if (!web.State.Running) return fail('container web exists but is not running');
      if (!web.NetworkSettings.Networks.shop)
        return fail('web runs, but is not attached to the network shop');
      const published = Object.values(web.HostConfig.PortBindings ?? {}).some((bindings) =>
        (bindings ?? []).some((b) => b.HostPort === '8080'),
      );
      if (!published) return fail('web does not publish port 8080 of node1 (-p 8080:80)');
      const resolved = await node.exec(['docker', 'exec', 'web', 'getent', 'hosts', 'db']);
      if (resolved.exitCode !== 0)
        return fail('inside web, the name db does not resolve: is db on the network shop?');
      const answer = await lab.eventually(() => node.http(8080, '/'), { timeoutMs: 4000 });
      if (answer?.status !== 200) return fail('port 8080 of node1 does not answer HTTP 200 yet');
      const address = resolved.stdout.trim().split(/\s+/)[0];
      return pass(`web answers on port 8080 and resolves db to ${address}`);
    },
  },
});
