import { type CheckContext, defineLessonChecks, fail, pass } from '../../lab-server/src/checks/check-api.ts';

interface Service {
  ID: string;
  Spec: {
    TaskTemplate: { ContainerSpec: { Image: string } };
    Mode: { Replicated?: { Replicas: number } };
    UpdateConfig?: { Parallelism?: number; Delay?: number };
  };
  UpdateStatus?: { State: string; Message?: string };
}

const imageOf = (s: Service) => s.Spec.TaskTemplate.ContainerSpec.Image.split('@')[0] ?? '';
const isWhoami = (image: string) => /^(docker\.io\/)?dockside\/whoami(:latest)?$/.test(image);
const isNginx122 = (image: string) => /^(docker\.io\/)?(library\/)?nginx:1\.22$/.test(image);

async function api(lab: CheckContext): Promise<Service | undefined> {
  return (await lab
    .node('node1')
    .docker.getService('api')
    .inspect()
    .catch(() => undefined)) as Service | undefined;
}

/** Running tasks of the service whose image matches. */
async function running(lab: CheckContext, service: Service, match: (image: string) => boolean) {
  const tasks = (await lab.node('node1').docker.listTasks({
    filters: { service: [service.ID], 'desired-state': ['running'] },
  })) as { Status: { State: string }; Spec: { ContainerSpec: { Image: string } } }[];
  return tasks.filter(
    (t) => t.Status.State === 'running' && match(t.Spec.ContainerSpec.Image.split('@')[0] ?? ''),
  ).length;
}

export default defineLessonChecks({
  lesson: 'swarm/rolling-updates',
  exercises: {
    'api-running': async (lab) => {
      const s = await api(lab);
      if (!s) return fail('there is no service named api (docker service ls lists the services)');
      const update = s.Spec.UpdateConfig ?? {};
      if ((update.Parallelism ?? 1) !== 1)
        return fail(`api updates ${update.Parallelism} tasks at a time, 1 expected`);
      if ((update.Delay ?? 0) < 2e9) {
        return fail(
          `api waits ${(update.Delay ?? 0) / 1e9} s between tasks, at least 2 s expected (--update-delay 2s)`,
        );
      }
      // Later exercises change the image: any version of the service with 4 running tasks keeps this done.
      const replicas = s.Spec.Mode.Replicated?.Replicas ?? 0;
      if (replicas !== 4) return fail(`api has ${replicas} replicas, 4 expected`);
      const n = await running(lab, s, () => true);
      if (n < 4) return fail(`api has ${n} running tasks, 4 expected`);
      return pass('api runs 4 tasks and updates them one at a time, 2 s apart');
    },
    updated: async (lab) => {
      const s = await api(lab);
      if (!s) return fail('there is no service named api');
      const state = s.UpdateStatus?.State;
      if (isNginx122(imageOf(s))) {
        if (state !== 'completed')
          return fail(`the update of api is ${state ?? 'not started'}, not completed yet`);
        const n = await running(lab, s, isNginx122);
        if (n < 4) return fail(`${n} tasks of nginx:1.22 are running, 4 expected`);
        return pass('api was rolled out to nginx:1.22, 4 tasks running');
      }
      // After the rollback exercise the service is back on whoami: the update had completed before it.
      if (isWhoami(imageOf(s)) && state?.startsWith('rollback')) {
        return pass('api was updated to nginx:1.22 (and has since been rolled back)');
      }
      return fail(`api runs ${imageOf(s)}; update it to nginx:1.22 (docker service update --image)`);
    },
    'rolled-back': async (lab) => {
      const s = await api(lab);
      if (!s) return fail('there is no service named api');
      const state = s.UpdateStatus?.State;
      if (!state?.startsWith('rollback'))
        return fail('api has not been rolled back (docker service rollback api)');
      if (state !== 'rollback_completed') return fail(`the rollback of api is ${state}, not completed yet`);
      if (!isWhoami(imageOf(s)))
        return fail(`api runs ${imageOf(s)} after the rollback, dockside/whoami expected`);
      const n = await running(lab, s, isWhoami);
      if (n < 4) return fail(`${n} tasks of dockside/whoami are running, 4 expected`);
      return pass('api is back on dockside/whoami with 4 tasks: the rollback completed');
    },
  },
});
