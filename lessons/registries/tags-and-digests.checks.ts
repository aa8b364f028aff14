import type { CheckNode } from '../../lab-server/src/checks/check-api.ts';
import { defineLessonChecks, fail, pass } from '../../lab-server/src/checks/check-api.ts';

const imageId = async (node: CheckNode, name: string): Promise<string | undefined> => {
  const info = (await node.docker
    .getImage(name)
    .inspect()
    .catch(() => undefined)) as { Id: string } | undefined;
  return info?.Id;
};

export default defineLessonChecks({
  lesson: 'registries/tags-and-digests',
  exercises: {
    'tag-image': async (lab) => {
      const node = lab.node('node1');
      const busybox = await imageId(node, 'busybox');
      if (!busybox) return fail('node1 has no busybox image yet (docker pull busybox)');
      for (const tag of ['training/busybox:v1', 'training/busybox:latest']) {
        const id = await imageId(node, tag);
        if (!id) return fail(`node1 has no image named ${tag}`);
        if (id !== busybox) return fail(`${tag} is a different image from busybox (${id.slice(7, 19)})`);
      }
      return pass(`training/busybox:v1 and :latest both name busybox (${busybox.slice(7, 19)})`);
    },
    'serve-archive': async (lab) => {
      const node = lab.node('node1');
      if (!(await imageId(node, 'training/busybox:v1')))
        return fail('node1 has no image training/busybox:v1 to save');
      // The archive is a few megabytes: ask for its size rather than its body.
      const head = await lab.eventually(
        async () => {
          const r = await node.exec([
            'curl',
            '-s',
            '-o',
            '/dev/null',
            '-m',
            '5',
            '-w',
            '%{http_code} %{size_download}',
            'http://localhost:8000/busybox.tar',
          ]);
          return r.exitCode === 0 ? r.stdout.trim() : undefined;
        },
        { timeoutMs: 4000 },
      );
      if (!head) return fail('nothing answers HTTP on port 8000 of node1');
      const [status, size] = head.split(' ');
      if (status !== '200') return fail(`port 8000 of node1 answers ${status} for /busybox.tar`);
      if (Number(size) < 100_000)
        return fail(`/busybox.tar is only ${size} bytes: is it a docker save archive?`);
      const tar = await node.exec([
        'sh',
        '-c',
        'curl -s -m 5 http://localhost:8000/busybox.tar | tar -t | head -50',
      ]);
      if (!/manifest\.json/.test(tar.stdout))
        return fail('/busybox.tar is not an image archive (no manifest.json in it)');
      return pass(`node1 serves the image as /busybox.tar (${Math.round(Number(size) / 1024)} KiB)`);
    },
    'load-on-node2': async (lab) => {
      const source = await imageId(lab.node('node1'), 'training/busybox:v1');
      if (!source) return fail('node1 has no image training/busybox:v1 any more');
      const loaded = await imageId(lab.node('node2'), 'training/busybox:v1');
      if (!loaded) return fail('node2 has no image training/busybox:v1 yet');
      if (loaded !== source)
        return fail('node2 has a training/busybox:v1, but it is not the same image as on node1');
      return pass(`node2 has training/busybox:v1 with node1's image ID (${loaded.slice(7, 19)})`);
    },
  },
});
