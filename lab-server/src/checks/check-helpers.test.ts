import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { imageMatches, namedNetwork, publishes, runningContainer } from './check-helpers.ts';
import type { CheckNode } from './check-types.ts';

// The helpers' own logic; what they read off a real engine is covered by the lesson solution tests.
const noSuch = () => ({ inspect: async () => Promise.reject(new Error('(HTTP code 404) no such object')) });
function nodeWith(containers: Record<string, unknown>, networks: Record<string, unknown> = {}): CheckNode {
  const found = (table: Record<string, unknown>, name: string) =>
    name in table ? { inspect: async () => table[name] } : noSuch();
  return {
    name: 'node1',
    docker: {
      getContainer: (name: string) => found(containers, name),
      getNetwork: (name: string) => found(networks, name),
    } as unknown as Docker,
    exec: async () => ({ exitCode: 0, stdout: '', stderr: '' }),
    readFile: async () => undefined,
    http: async () => undefined,
  };
}
const container = (image: string, running: boolean, ports: Record<string, { HostPort: string }[]> = {}) => ({
  State: { Running: running },
  Config: { Image: image },
  HostConfig: { PortBindings: ports },
});

describe('imageMatches', () => {
  it('takes the forms one image goes by', () => {
    for (const actual of [
      'redis',
      'redis:7',
      'docker.io/library/redis',
      'redis@sha256:abc',
      'library/redis:latest',
    ])
      expect(imageMatches(actual, 'redis'), actual).toBe(true);
    expect(imageMatches('redis', 'redis:latest')).toBe(true);
    expect(imageMatches('dockside/whoami@sha256:abc', 'dockside/whoami:latest')).toBe(true);
  });
  it('refuses another image or another tag', () => {
    expect(imageMatches('redis-stack', 'redis')).toBe(false);
    expect(imageMatches('redis:6', 'redis:7')).toBe(false);
    expect(imageMatches('redis:6', 'redis:latest')).toBe(false);
    expect(imageMatches('myredis', 'redis')).toBe(false);
  });
});

describe('runningContainer', () => {
  const node = nodeWith({
    cache: container('redis:7', true),
    old: container('redis', false),
    web: container('nginx', true),
  });
  it('returns a running container from the wanted image', async () => {
    expect((await runningContainer(node, 'cache', { image: 'redis' })).Config.Image).toBe('redis:7');
  });
  it('says which of the three is wrong', async () => {
    await expect(runningContainer(node, 'nope')).rejects.toThrow(/no container named nope on node1/);
    await expect(runningContainer(node, 'web', { image: 'redis' })).rejects.toThrow(
      'container web runs nginx, redis expected',
    );
    await expect(runningContainer(node, 'old')).rejects.toThrow(/old exists but is not running/);
    await expect(runningContainer(node, 'old', { notRunning: 'start it again' })).rejects.toThrow(
      'start it again',
    );
  });
});

describe('publishes', () => {
  const c = container('nginx', true, { '80/tcp': [{ HostPort: '8080' }] });
  it('finds a host port, for any container port or the one named', () => {
    expect(publishes(c, 8080)).toBe(true);
    expect(publishes(c, 8080, '80/tcp')).toBe(true);
    expect(publishes(c, 8080, '443/tcp')).toBe(false);
    expect(publishes(c, 9090)).toBe(false);
    expect(publishes(container('nginx', true), 8080)).toBe(false);
  });
});

describe('namedNetwork', () => {
  it('returns the network, or says there is none', async () => {
    const node = nodeWith({}, { shop: { Name: 'shop', Driver: 'bridge' } });
    expect((await namedNetwork(node, 'shop')).Driver).toBe('bridge');
    await expect(namedNetwork(node, 'other')).rejects.toThrow(/no network named other on node1/);
  });
});
