import {
  defineLessonChecks,
  fail,
  pass,
  publishes,
  runningContainer,
} from '../../lab-server/src/checks/check-api.ts';

const MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';

export default defineLessonChecks({
  lesson: 'registries/private-registry',
  exercises: {
    'registry-running': async (lab) => {
      const node = lab.node('node1');
      const c = await runningContainer(node, 'registry', {
        image: 'registry',
        imageName: 'the registry image',
      });
      if (!publishes(c, 5000, '5000/tcp')) return fail('registry does not publish port 5000 (-p 5000:5000)');
      const answer = await lab.eventually(() => node.http(5000, '/v2/', { host: 'node1' }), {
        timeoutMs: 5000,
      });
      if (answer?.status !== 200) return fail('nothing answers at http://node1:5000/v2/ yet');
      return pass('a registry answers the API v2 at node1:5000');
    },
    pushed: async (lab) => {
      const answer = await lab.node('node1').http(5000, '/v2/team/hello/tags/list', { host: 'node1' });
      if (!answer)
        return fail('the registry at node1:5000 does not answer (is the registry container running?)');
      if (answer.status === 404) return fail('the registry at node1:5000 has no repository team/hello yet');
      const tags = (JSON.parse(answer.body || '{}') as { tags?: string[] | null }).tags ?? [];
      if (!tags.includes('1.0')) {
        return fail(`team/hello has ${tags.length ? `the tags ${tags.join(', ')}` : 'no tag'}; 1.0 expected`);
      }
      return pass('the registry at node1:5000 holds team/hello:1.0');
    },
    'pulled-elsewhere': async (lab) => {
      const image = (await lab
        .node('node2')
        .docker.getImage('node1:5000/team/hello:1.0')
        .inspect()
        .catch(() => undefined)) as { RepoDigests?: string[] } | undefined;
      if (!image) return fail('node2 has no image node1:5000/team/hello:1.0 (docker pull it on node2)');
      const head = await lab
        .node('node1')
        .exec([
          'curl',
          '-sI',
          '-m',
          '3',
          '-H',
          `Accept: ${MANIFEST}`,
          'http://node1:5000/v2/team/hello/manifests/1.0',
        ]);
      const digest = /docker-content-digest:\s*(\S+)/i.exec(head.stdout)?.[1];
      if (!digest) return fail('the registry at node1:5000 no longer has team/hello:1.0');
      const local = (image.RepoDigests ?? []).map((d) => d.split('@')[1]);
      if (!local.includes(digest)) {
        return fail(
          `node2's copy has digest ${local[0] ?? 'none'}, the registry says ${digest}: pull it again`,
        );
      }
      return pass(`node2 pulled team/hello:1.0 from node1's registry (${digest.slice(0, 19)}…)`);
    },
  },
});
