import { defineLessonChecks, fail, imageLabelled, pass } from '../../lab-server/src/checks/check-api.ts';

export default defineLessonChecks({
  lesson: 'images/dockerfile-basics',
  exercises: {
    'build-image': async (lab) => {
      const node = lab.node('node1');
      const image = await node.docker
        .getImage('hello:1.0')
        .inspect()
        .catch(() => undefined);
      if (!image) return fail('there is no image hello:1.0 on node1 yet (docker images lists what there is)');
      const run = await node.exec(['docker', 'run', '--rm', 'hello:1.0', 'Docker'], { timeoutMs: 15_000 });
      if (run.exitCode !== 0) {
        return fail(
          `docker run --rm hello:1.0 Docker failed: ${(run.stderr || run.stdout).trim().split('\n').pop()}`,
        );
      }
      // figlet draws "Docker" over several lines with underscores and bars; plain echo would not.
      const lines = run.stdout.split('\n').filter((l) => l.trim());
      if (lines.length < 4 || !/[_|]/.test(run.stdout)) {
        return fail(
          'hello:1.0 runs, but does not print its argument in large letters: is figlet its entrypoint?',
        );
      }
      return pass('hello:1.0 prints its argument in large letters');
    },
    'label-image': imageLabelled({ node: 'node1', image: 'hello:1.0', key: 'course', value: 'dockside' }),
  },
});
