import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { TestResources, uniqueName } from '../../testing/lab-docker.ts';
import { waitFor } from '../util/wait-for.ts';

/** Runs an image's command to the end and returns what it printed. */
async function output(res: TestResources, image: string, cmd: string[]): Promise<string> {
  const container = await res.container({
    Image: image,
    Cmd: cmd,
    Tty: true,
    HostConfig: { NetworkMode: 'none' },
  });
  await container.wait();
  // follow: a stream, so output that happens to be JSON is not parsed into an object by the client.
  const stream = await container.logs({ stdout: true, stderr: true, follow: true });
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Starts a server image on its own network and returns the URL the lab server reaches it at. */
async function serve(
  res: TestResources,
  image: string,
  port: number,
): Promise<{ url: string; container: Docker.Container }> {
  const network = await res.network(uniqueName('img'));
  const container = await res.container({ Image: image, HostConfig: { NetworkMode: network.id } });
  const info = await container.inspect();
  const ip = Object.values(info.NetworkSettings.Networks)[0]?.IPAddress;
  return { url: `http://${ip}:${port}/`, container };
}

const get = (url: string) =>
  waitFor(
    async () => {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      return { status: res.status, body: await res.text() };
    },
    { timeoutMs: 20_000, what: url },
  );

describe('lesson images', () => {
  it('nginx serves its welcome page', async () => {
    await using res = new TestResources();
    const { url } = await serve(res, 'dockside/lessons/nginx', 80);
    const page = await get(url);
    expect(page.status).toBe(200);
    expect(page.body).toContain('Welcome to nginx!');
  });

  it('httpd serves "It works!" from /usr/local/apache2/htdocs', async () => {
    await using res = new TestResources();
    const { url } = await serve(res, 'dockside/lessons/httpd', 80);
    expect((await get(url)).body).toContain('It works!');
  });

  it('whoami answers with the name of the container that served it', async () => {
    await using res = new TestResources();
    const { url, container } = await serve(res, 'dockside/lessons/whoami', 80);
    const hostname = (await container.inspect()).Config.Hostname;
    expect((await get(url)).body).toContain(`Hostname: ${hostname}`);
  });

  it('registry answers the registry API v2 with an empty catalog', async () => {
    await using res = new TestResources();
    const { url } = await serve(res, 'dockside/lessons/registry', 5000);
    const base = await get(`${url}v2/`);
    expect(base.status).toBe(200);
    const catalog = await get(`${url}v2/_catalog`);
    expect(JSON.parse(catalog.body)).toEqual({ repositories: [] });
  });

  it('redis answers PING', async () => {
    await using res = new TestResources();
    const { container } = await serve(res, 'dockside/lessons/redis', 6379);
    const reply = await waitFor(
      async () => {
        const exec = await container.exec({ Cmd: ['redis-cli', 'ping'], AttachStdout: true, Tty: true });
        const stream = await exec.start({ hijack: true, stdin: false, Tty: true });
        let text = '';
        stream.on('data', (d: Buffer) => {
          text += d;
        });
        await new Promise((r) => stream.on('end', r));
        return text.includes('PONG') && text;
      },
      { timeoutMs: 20_000, what: 'redis to answer PING' },
    );
    expect(reply).toContain('PONG');
  });

  // Language and tool images: a command run to its end prints what the image promises.
  it.each([
    {
      image: 'python',
      does: 'runs a script',
      cmd: [
        'python',
        '-c',
        'import sys, json; print(json.dumps({"sum": sum(range(10)), "major": sys.version_info[0]}))',
      ],
      prints: [/\{"sum": 45, "major": 3\}/],
    },
    {
      image: 'node',
      does: 'runs a script',
      cmd: ['node', '-e', 'console.log([1, 2, 3].map((x) => x * 14).join(","))'],
      prints: [/14,28,42/],
    },
    {
      image: 'busybox',
      does: 'gives a shell and its applets',
      cmd: ['sh', '-c', 'echo "$(busybox --list | wc -l) applets"; whoami'],
      prints: [/[1-9]\d{2,} applets/, /root/],
    },
  ])('$image $does', async ({ image, cmd, prints }) => {
    await using res = new TestResources();
    const out = await output(res, `dockside/lessons/${image}`, cmd);
    for (const expected of prints) expect(out).toMatch(expected);
  });

  it('debian is Debian 12 with apt and slim-sized', async () => {
    await using res = new TestResources();
    const out = await output(res, 'dockside/lessons/debian', [
      'sh',
      '-c',
      'cat /etc/debian_version; apt-get --version | head -1',
    ]);
    expect(out).toMatch(/^12\.\d+/m);
    expect(out).toContain('apt ');
    const size = (await res.docker.getImage('dockside/lessons/debian').inspect()).Size;
    expect(size / 2 ** 20).toBeLessThan(120);
  });
});
