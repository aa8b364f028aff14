import {
  defineLessonChecks,
  fail,
  imageMatches,
  namedService,
  pass,
  serviceRunning,
} from '../../lab-server/src/checks/check-api.ts';

interface ServiceSpec {
  ID: string;
  Spec: { TaskTemplate: { ContainerSpec: { Image: string }; Networks?: { Target: string }[] } };
}

interface EdgeSpec {
  Spec: {
    Mode: { Global?: object; Replicated?: object };
    TaskTemplate: { ContainerSpec: { Image: string } };
    EndpointSpec?: { Ports?: { PublishedPort: number; TargetPort: number; PublishMode: string }[] };
  };
}

export default defineLessonChecks({
  lesson: 'swarm/scale-a-service',
  exercises: {
    'create-service': async (lab) => {
      const docker = lab.node('node1').docker;
      const service = await namedService<ServiceSpec>(lab.node('node1'), 'web');
      const image = service.Spec.TaskTemplate.ContainerSpec.Image.split('@')[0] ?? '';
      if (!imageMatches(image, 'dockside/whoami:latest')) {
        return fail(`service web runs ${image}, dockside/whoami expected`);
      }
      const overlay = await Promise.all(
        (service.Spec.TaskTemplate.Networks ?? []).map((n) =>
          docker
            .getNetwork(n.Target)
            .inspect()
            .then((i: { Driver: string }) => i.Driver === 'overlay')
            .catch(() => false),
        ),
      );
      if (!overlay.includes(true)) return fail('service web is not on an overlay network (--network front)');
      const tasks = (await docker.listTasks({
        filters: { service: [service.ID], 'desired-state': ['running'] },
      })) as {
        Status: { State: string };
      }[];
      const running = tasks.filter((t) => t.Status.State === 'running').length;
      // Later exercises scale it up: three or more running tasks keep this one done.
      if (running < 3) return fail(`service web has ${running} running tasks, 3 expected`);
      return pass(`service web runs dockside/whoami with ${running} tasks on an overlay network`);
    },
    'scale-service': serviceRunning({ manager: 'node1', name: 'web', replicas: 6, minNodes: 3 }),
    'publish-host-mode': async (lab) => {
      const spec = (await namedService<EdgeSpec>(lab.node('node1'), 'edge')).Spec;
      const image = spec.TaskTemplate.ContainerSpec.Image.split('@')[0] ?? '';
      if (!imageMatches(image, 'dockside/whoami:latest')) {
        return fail(`service edge runs ${image}, dockside/whoami expected`);
      }
      if (!spec.Mode.Global)
        return fail('service edge is replicated; --mode global runs one task on every node');
      const port = (spec.EndpointSpec?.Ports ?? []).find((p) => p.PublishedPort === 8080);
      if (!port) return fail('service edge does not publish port 8080');
      if (port.PublishMode !== 'host') {
        return fail('service edge publishes 8080 through the routing mesh, which needs IPVS: use mode=host');
      }
      // Every running node answers on its own port 8080, with its own task.
      for (const node of Object.values(lab.nodes)) {
        const state = await node.docker.info().catch(() => undefined);
        if (!state) continue; // A node the learner stopped: nothing to ask.
        const answer = await lab.eventually(() => node.http(8080, '/'), { timeoutMs: 5000 });
        if (!answer?.body.includes('Hostname:')) {
          return fail(`${node.name} does not answer on its port 8080 yet (docker service ps edge)`);
        }
      }
      return pass('edge runs on every node and each answers on its own port 8080');
    },
  },
});
