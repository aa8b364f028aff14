import { defineLessonChecks, fail, pass } from '../../lab-server/src/checks/check-api.ts';
import { serviceRunning } from '../../lab-server/src/checks/check-helpers.ts';

interface ServiceSpec {
  ID: string;
  Spec: { TaskTemplate: { ContainerSpec: { Image: string }; Networks?: { Target: string }[] } };
}

export default defineLessonChecks({
  lesson: 'swarm/scale-a-service',
  exercises: {
    'create-service': async (lab) => {
      const docker = lab.node('node1').docker;
      const service = (await docker
        .getService('web')
        .inspect()
        .catch(() => undefined)) as ServiceSpec | undefined;
      if (!service) return fail('there is no service named web (docker service ls lists the services)');
      const image = service.Spec.TaskTemplate.ContainerSpec.Image.split('@')[0] ?? '';
      if (!/^(docker\.io\/)?dockside\/whoami(:latest)?$/.test(image)) {
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
  },
});
