import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeRuntimeWrapper } from './runtime-wrapper.ts';

// A stand-in for runc that records its arguments, so the test sees exactly what runc would get.
function fakeRunc(dir: string): string {
  const path = join(dir, 'runc');
  writeFileSync(path, `#!/bin/sh\necho "$@" > ${dir}/runc-args\n`, { mode: 0o755 });
  return path;
}

const caps = ['CAP_CHOWN', 'CAP_SYS_RESOURCE', 'CAP_SYS_ADMIN'];
const spec = () => ({
  process: { capabilities: { bounding: caps, effective: caps, permitted: caps, inheritable: caps } },
});

describe('runtime wrapper', () => {
  it('removes dropped capabilities from a bundle on create, then runs runc with the same arguments', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wrapper-'));
    const bundle = join(dir, 'bundle');
    mkdirSync(bundle);
    writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec()));
    const { wrapper } = writeRuntimeWrapper(
      join(dir, 'rt'),
      { dropCapabilities: ['CAP_SYS_RESOURCE'] },
      { runc: fakeRunc(dir), jq: '/usr/bin/jq' },
    );
    const args = [
      '--root',
      '/run/x',
      '--log',
      'log.json',
      'create',
      '--bundle',
      bundle,
      '--pid-file',
      'p',
      'id1',
    ];
    execFileSync(wrapper, args);
    const edited = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8'));
    expect(edited.process.capabilities.bounding).toEqual(['CAP_CHOWN', 'CAP_SYS_ADMIN']);
    expect(edited.process.capabilities.effective).not.toContain('CAP_SYS_RESOURCE');
    expect(readFileSync(join(dir, 'runc-args'), 'utf8').trim()).toBe(args.join(' '));
  });

  it('edits the --process file of an exec', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wrapper-'));
    const processFile = join(dir, 'process.json');
    writeFileSync(processFile, JSON.stringify(spec().process));
    const { wrapper } = writeRuntimeWrapper(
      join(dir, 'rt'),
      { dropCapabilities: ['CAP_SYS_RESOURCE'] },
      { runc: fakeRunc(dir), jq: '/usr/bin/jq' },
    );
    execFileSync(wrapper, ['--root', '/r', 'exec', '--process', processFile, '--detach', 'id1']);
    expect(JSON.parse(readFileSync(processFile, 'utf8')).capabilities.permitted).toEqual([
      'CAP_CHOWN',
      'CAP_SYS_ADMIN',
    ]);
  });

  it('passes other commands straight to runc', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wrapper-'));
    const { wrapper } = writeRuntimeWrapper(
      join(dir, 'rt'),
      { dropCapabilities: [] },
      { runc: fakeRunc(dir), jq: '/usr/bin/jq' },
    );
    execFileSync(wrapper, ['--root', '/r', 'state', 'id1']);
    expect(readFileSync(join(dir, 'runc-args'), 'utf8').trim()).toBe('--root /r state id1');
  });

  it('fences a privileged container off block devices, and leaves an unprivileged one as it was', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wrapper-'));
    const bundle = join(dir, 'bundle');
    mkdirSync(bundle);
    const { wrapper } = writeRuntimeWrapper(
      join(dir, 'rt'),
      { dropCapabilities: ['CAP_SYS_RAWIO'], fenceDevices: true },
      { runc: fakeRunc(dir), jq: '/usr/bin/jq' },
    );
    const privileged = {
      ...spec(),
      linux: {
        devices: [
          { path: '/dev/sda', type: 'b', major: 8, minor: 0 },
          { path: '/dev/fuse', type: 'c', major: 10, minor: 229 },
        ],
        resources: {
          devices: [{ allow: true, access: 'rwm' }],
          memory: { limit: 2147483648, swap: 4294967296 },
        },
      },
    };
    const run = (doc: object) => {
      writeFileSync(join(bundle, 'config.json'), JSON.stringify(doc));
      execFileSync(wrapper, ['create', '--bundle', bundle, 'id1']);
      return JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8'));
    };
    const edited = run(privileged);
    expect(edited.linux.devices.map((d: { path: string }) => d.path)).toEqual(['/dev/fuse']);
    expect(edited.linux.resources.devices).toEqual([
      { allow: false, access: 'rwm' },
      { allow: true, type: 'c', access: 'rwm' },
      { allow: true, type: 'b', access: 'm' },
    ]);
    expect(edited.linux.resources.memory).toEqual({ limit: 2147483648, swap: 4294967296 });
    // Docker's own rules for an unprivileged container deny by default: kept as they were.
    const unprivileged = {
      ...spec(),
      linux: {
        devices: [],
        resources: {
          devices: [
            { allow: false, access: 'rwm' },
            { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
          ],
        },
      },
    };
    expect(run(unprivileged).linux).toEqual(unprivileged.linux);
  });

  it('stops runc from starting a container whose spec it cannot read', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wrapper-'));
    const bundle = join(dir, 'bundle');
    mkdirSync(bundle);
    writeFileSync(join(bundle, 'config.json'), '{ not json');
    const { wrapper } = writeRuntimeWrapper(
      join(dir, 'rt'),
      { dropCapabilities: ['CAP_SYS_RAWIO'] },
      { runc: fakeRunc(dir), jq: '/usr/bin/jq' },
    );
    expect(() => execFileSync(wrapper, ['create', '--bundle', bundle, 'id1'], { stdio: 'pipe' })).toThrow(
      /cannot edit/,
    );
    expect(existsSync(join(dir, 'runc-args'))).toBe(false);
    expect(readFileSync(join(bundle, 'config.json'), 'utf8')).toBe('{ not json');
  });
});
