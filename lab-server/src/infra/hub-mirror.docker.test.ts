import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execIn, TestResources, uniqueName } from '../../testing/lab-docker.ts';
import { loadConfig } from '../config.ts';
import { planImages } from '../images/image-plan.ts';
import { loadManifest } from '../images/manifest.ts';
import { waitFor } from '../util/wait-for.ts';
import { APT_CACHE_VOLUME, APT_PROXY_CONTAINER } from './apt-proxy.ts';
import { attachLabServices, detachLabServices } from './lab-services.ts';

// One node on an internal network, as a learner's sandbox has: no route out, only the lab's services.
const res = new TestResources();
let node: Docker.Container;
let networkId: string;

beforeAll(async () => {
  const network = await res.network(uniqueName('mirror-test'), { internal: true });
  networkId = network.id;
  await attachLabServices(res.docker, network.id);
  res.defer(() => detachLabServices(res.docker, network.id));
  node = await res.container({
    Image: 'dockside/node',
    Hostname: 'node1',
    HostConfig: { Privileged: true, NetworkMode: network.id },
  });
  await waitFor(async () => (await execIn(node, ['docker', 'version'])).code === 0, {
    timeoutMs: 60_000,
    what: 'the engine inside node1',
  });
});
afterAll(() => res[Symbol.asyncDispose]());

describe('a node on an internal network', () => {
  it('pulls nginx through the hub mirror and serves it on a published port', async () => {
    const pulled = await execIn(node, ['sh', '-c', 'docker pull nginx && docker run -d -p 8080:80 nginx']);
    expect(pulled.code, pulled.output).toBe(0);
    expect(pulled.output).toContain('library/nginx');
    const page = await waitFor(
      async () => {
        const r = await execIn(node, ['curl', '-sf', 'localhost:8080']);
        return r.code === 0 && r.output;
      },
      { timeoutMs: 20_000, what: 'nginx inside node1' },
    );
    expect(page).toContain('Welcome to nginx!');
  });

  it('serves every published lesson image under its Docker Hub name', async () => {
    const names = planImages(loadManifest(loadConfig().sandboxDir), loadConfig().sandboxDir).flatMap(
      (i) => i.publish,
    );
    expect(names.length).toBeGreaterThan(10);
    const accept = 'application/vnd.docker.distribution.manifest.v2+json';
    const script = names
      .map((n) => n.split(':'))
      .map(
        ([repo, tag]) =>
          `curl -sf -o /dev/null -H 'Accept: ${accept}' http://mirror:5000/v2/${repo}/manifests/${tag} || echo "missing ${repo}:${tag}"`,
      )
      .join('; ');
    const r = await execIn(node, ['sh', '-c', script]);
    expect(r.output).not.toContain('missing');
    expect(r.code).toBe(0);
  });

  it('builds a Dockerfile whose RUN apt-get install goes through the package proxy', async () => {
    const dockerfile =
      'FROM debian\nRUN apt-get update && apt-get install -y curl\nCMD ["curl", "--version"]\n';
    const r = await execIn(node, [
      'sh',
      '-c',
      `mkdir -p /root/app && cd /root/app && printf '${dockerfile.replaceAll('\n', '\\n')}' > Dockerfile && docker build -q -t mycurl . && docker run --rm mycurl`,
    ]);
    expect(r.code, r.output).toBe(0);
    expect(r.output).toMatch(/^curl \d+\.\d+/m);
  });

  it('installs seeded packages with the proxy in offline mode (no uplink at all)', async () => {
    const { docker } = res;
    // The usual proxy steps aside; an offline one on the same cache, reachable only on this internal
    // network, answers as "apt".
    await docker.getNetwork(networkId).disconnect({ Container: APT_PROXY_CONTAINER, Force: true });
    await docker.getContainer(APT_PROXY_CONTAINER).stop();
    try {
      await using offline = new TestResources();
      await offline.container({
        Image: 'dockside/apt-proxy',
        Env: ['APT_OFFLINE=1'],
        HostConfig: { NetworkMode: networkId, Binds: [`${APT_CACHE_VOLUME}:/var/cache/apt-cacher-ng`] },
        NetworkingConfig: { EndpointsConfig: { [networkId]: { Aliases: ['apt'] } } },
      });
      // It answers once it has started: wait for that, not for a fixed time.
      await waitFor(
        async () =>
          (
            await execIn(node, [
              'curl',
              '-s',
              '-o',
              '/dev/null',
              '-m',
              '2',
              'http://apt:3142/acng-report.html',
            ])
          ).code === 0,
        { timeoutMs: 60_000, what: 'the offline package proxy to answer' },
      );
      const r = await execIn(node, [
        'sh',
        '-c',
        'docker run --rm debian sh -c "apt-get update && apt-get install -y jq && jq -n 6*7"',
      ]);
      expect(r.code, r.output).toBe(0);
      expect(r.output).toMatch(/^42\s*$/m);
    } finally {
      await docker.getContainer(APT_PROXY_CONTAINER).start();
      await attachLabServices(docker, networkId);
    }
  });
});
