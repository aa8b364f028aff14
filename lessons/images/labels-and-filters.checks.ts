import { type CheckContext, defineLessonChecks, fail, pass } from '../../lab-server/src/checks/check-api.ts';

interface Listed {
  Names: string[];
  State: string;
  Labels: Record<string, string>;
}

const shop = async (lab: CheckContext) =>
  (await lab
    .node('node1')
    .docker.listContainers({ all: true, filters: { label: ['app=shop'] } })) as Listed[];

export default defineLessonChecks({
  lesson: 'images/labels-and-filters',
  exercises: {
    'labelled-shop': async (lab) => {
      const running = (await shop(lab)).filter((c) => c.State === 'running');
      const front = running.filter((c) => c.Labels.tier === 'front').length;
      const back = running.filter((c) => c.Labels.tier === 'back').length;
      if (running.length === 0) return fail('no running container is labelled app=shop (-l app=shop)');
      if (front < 2)
        return fail(
          `${front} running shop container${front === 1 ? ' is' : 's are'} labelled tier=front, 2 expected`,
        );
      if (back < 1) return fail('no running shop container is labelled tier=back');
      return pass(`the shop runs ${front} front containers and ${back} back`);
    },
    'remove-by-label': async (lab) => {
      const docker = lab.node('node1').docker;
      const front = (await docker.listContainers({
        all: true,
        filters: { label: ['tier=front'] },
      })) as Listed[];
      if (front.length > 0) {
        return fail(
          `${front.length} container${front.length === 1 ? '' : 's'} labelled tier=front still exist${front.length === 1 ? 's' : ''} (docker ps -a --filter label=tier=front)`,
        );
      }
      const back = (await shop(lab)).filter((c) => c.Labels.tier === 'back' && c.State === 'running');
      if (back.length === 0)
        return fail('the tier=back container of the shop is gone too: only the front was to go');
      return pass('every tier=front container is gone and the back of the shop still runs');
    },
  },
});
