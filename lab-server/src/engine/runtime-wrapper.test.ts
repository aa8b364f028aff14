import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
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
      { runc: fakeRunc(dir), node: process.execPath },
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
      { runc: fakeRunc(dir), node: process.execPath },
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
      { runc: fakeRunc(dir), node: process.execPath },
    );
    execFileSync(wrapper, ['--root', '/r', 'state', 'id1']);
    expect(readFileSync(join(dir, 'runc-args'), 'utf8').trim()).toBe('--root /r state id1');
  });
});
