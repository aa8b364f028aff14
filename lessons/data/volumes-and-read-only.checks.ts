import {
  type ContainerInspect,
  defineLessonChecks,
  fail,
  pass,
  runningContainer,
} from '../../lab-server/src/checks/check-api.ts';

interface Inspected extends ContainerInspect {
  HostConfig: { ReadonlyRootfs?: boolean };
  Mounts: { Type: string; Name?: string; Destination: string }[];
}

export default defineLessonChecks({
  lesson: 'data/volumes-and-read-only',
  exercises: {
    'data-survives': async (lab) => {
      const node = lab.node('node1');
      const cache = await runningContainer<Inspected>(node, 'cache', { image: 'redis' });
      const mount = cache.Mounts.find((m) => m.Destination === '/data');
      if (mount?.Type !== 'volume' || mount.Name !== 'redis-data') {
        return fail('cache does not have the volume redis-data mounted at /data (-v redis-data:/data)');
      }
      // Redis may still be loading its file just after a start: ask a few times.
      const value = await lab.eventually(
        async () => {
          const r = await node.exec(['docker', 'exec', 'cache', 'redis-cli', 'get', 'visits']);
          return r.exitCode === 0 && !/LOADING|Could not connect/i.test(r.stdout + r.stderr)
            ? r.stdout.trim()
            : undefined;
        },
        { timeoutMs: 5000, intervalMs: 500 },
      );
      if (value === undefined) return fail('Redis in cache does not answer yet; try again in a moment');
      if (value !== '42') {
        return fail(
          value === ''
            ? 'Redis in cache has no key visits: was it saved (redis-cli save) before the old container went?'
            : `visits is ${value}, 42 expected`,
        );
      }
      return pass('cache runs on the redis-data volume and still knows visits = 42');
    },
    'read-only-site': async (lab) => {
      const node = lab.node('node1');
      const inspected = await runningContainer<Inspected>(node, 'static');
      if (!inspected.HostConfig.ReadonlyRootfs) {
        return fail('static runs, but its root file system is writable: start it with --read-only');
      }
      const answer = await lab.eventually(() => node.http(8081, '/'), { timeoutMs: 4000 });
      if (!answer) return fail('nothing answers HTTP on port 8081 of node1 (-p 8081:80)');
      if (answer.status !== 200)
        return fail(`port 8081 answers HTTP ${answer.status}: is index.html in the volume?`);
      return pass('static serves port 8081 from a read-only container');
    },
  },
});
