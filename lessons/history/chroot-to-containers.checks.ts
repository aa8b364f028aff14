import {
  type ContainerInspect,
  defineLessonChecks,
  fail,
  fileContains,
  pass,
  runningContainer,
} from '../../lab-server/src/checks/check-api.ts';

interface Inspected extends ContainerInspect {
  Config: { Image: string; Hostname: string };
}

export default defineLessonChecks({
  lesson: 'history/chroot-to-containers',
  exercises: {
    'chroot-file': fileContains({ node: 'node1', path: '/srv/chroot/hello.txt', text: '1979' }),
    'namespaced-box': async (lab) => {
      const container = await runningContainer<Inspected>(lab.node('node1'), 'jail', {
        image: 'busybox',
        notRunning:
          'container jail exists but is not running: give it a command that lasts, such as sleep 3600',
      });
      if (container.Config.Hostname !== 'jail') {
        return fail(`container jail runs, but its host name is ${container.Config.Hostname}, jail expected`);
      }
      return pass('container jail runs busybox with a host name of its own');
    },
  },
});
