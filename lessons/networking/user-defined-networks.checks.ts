import {
  type ContainerInspect,
  defineLessonChecks,
  fail,
  namedNetwork,
  pass,
  publishes,
  runningContainer,
} from '../../lab-server/src/checks/check-api.ts';

interface Inspected extends ContainerInspect {
  NetworkSettings: { Networks: Record<string, { IPAddress: string }> };
}

export default defineLessonChecks({
  lesson: 'networking/user-defined-networks',
  exercises: {
    'db-on-network': async (lab) => {
      const network = await namedNetwork(lab.node('node1'), 'shop');
      if (network.Driver !== 'bridge')
        return fail(`network shop uses the ${network.Driver} driver, bridge expected`);
      const db = await runningContainer<Inspected>(lab.node('node1'), 'db', { image: 'redis' });
      if (!db.NetworkSettings.Networks.shop) return fail('db runs, but is not attached to the network shop');
      return pass('db runs Redis on the network shop');
    },
    'web-finds-db': async (lab) => {
      const node = lab.node('node1');
      const web = await runningContainer<Inspected>(node, 'web', { image: 'nginx' });
      if (!web.NetworkSettings.Networks.shop)
        return fail('web runs, but is not attached to the network shop');
      if (!publishes(web, 8080)) return fail('web does not publish port 8080 of node1 (-p 8080:80)');
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
