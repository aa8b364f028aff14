import { defineLessonChecks, fail, pass } from '../../lab-server/src/checks/check-api.ts';

interface Summary {
  Image: string;
  State: string;
  Labels: Record<string, string>;
}

export default defineLessonChecks({
  lesson: 'compose/web-and-redis',
  exercises: {
    'app-answers': async (lab) => {
      const node = lab.node('node1');
      const first = await lab.eventually(() => node.http(8000, '/'), { timeoutMs: 4000 });
      if (!first)
        return fail('nothing answers on port 8000 of node1 yet (docker-compose ps shows what runs)');
      const count = (body: string) => Number(/seen (\d+) time/.exec(body)?.[1]);
      if (!first.body.includes('Hello from Compose') || Number.isNaN(count(first.body))) {
        return fail(
          `port 8000 answers, but not with the greeting and a visit count (it said: ${first.body.trim().slice(0, 80)})`,
        );
      }
      const second = await node.http(8000, '/');
      if (!second || count(second.body) <= count(first.body)) {
        return fail(
          'the visit count does not go up from one request to the next: is the app talking to Redis?',
        );
      }
      // Both containers belong to the same Compose project.
      const containers = (await node.docker.listContainers()) as unknown as Summary[];
      const project = (c: Summary) => c.Labels['com.docker.compose.project'];
      const redis = containers.find((c) => c.Labels['com.docker.compose.service'] === 'redis' && project(c));
      const web = containers.find((c) => c.Labels['com.docker.compose.service'] === 'web' && project(c));
      if (!redis || !web)
        return fail('the app answers, but web and redis are not services of a Compose project');
      if (project(redis) !== project(web))
        return fail('web and redis run, but in two different Compose projects');
      return pass(`the app answers and counts visits in Redis (project ${project(web)})`);
    },
  },
});
