import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './config.ts';
import { runCommand } from './util/run-command.ts';

/** Runs `npm start`'s program the way a person would and returns what they would see. */
function start(
  env: Record<string, string>,
  wrap: string[] = [],
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const tsx = join(repoRoot, 'node_modules', '.bin', 'tsx');
    const command = [...wrap, tsx, join(repoRoot, 'lab-server', 'src', 'main.ts')];
    const [file, args] = [command[0] as string, command.slice(1)];
    const child = spawn(file, args, {
      env: { ...process.env, DOCKER_HOST: '', LANG: 'C.UTF-8', ...env },
      cwd: repoRoot,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** A single line that says what to do, and no stack trace. */
function expectOneClearLine(stderr: string, pattern: RegExp) {
  const lines = stderr.trim().split('\n');
  expect(lines, `stderr was:\n${stderr}`).toHaveLength(1);
  expect(lines[0]).toMatch(/^dockside: /);
  expect(lines[0]).toMatch(pattern);
  expect(stderr).not.toMatch(/\n\s+at /);
}

// Each case starts `tsx main.ts` from cold, while the engine tests load both cores: seconds each.
describe('npm start in bad situations', { timeout: 60_000 }, () => {
  it('says which port is taken and how to choose another', async () => {
    const server = createServer().listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const port = (server.address() as { port: number }).port;
    try {
      const result = await start({ PORT: String(port), HOST: '127.0.0.1' });
      expect(result.code).not.toBe(0);
      expectOneClearLine(result.stderr, new RegExp(`127\\.0\\.0\\.1:${port}.*PORT=`));
    } finally {
      server.close();
    }
  });

  it('rejects a malformed setting by name', async () => {
    const result = await start({ PORT: 'eighty' });
    expect(result.code).not.toBe(0);
    expectOneClearLine(result.stderr, /PORT="eighty" is not valid/);
  });

  it('says what to run when there is no engine and it is not root', async () => {
    const state = mkdtempSync(join(tmpdir(), 'dockside-nonroot-'));
    chmodSync(state, 0o777);
    const result = await start(
      { PORT: '0', DOCKSIDE_STATE_DIR: state, HOME: state, DOCKSIDE_ENGINE: 'auto' },
      ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'],
    );
    expect(result.code).not.toBe(0);
    expectOneClearLine(result.stderr, /not running as root.*sudo npm start/);
  });

  it('says how much disk is free when the state directory is full', async () => {
    const state = mkdtempSync(join(tmpdir(), 'dockside-full-'));
    const mounted = await runCommand('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', state]);
    expect(mounted.code, 'these tests run as root, as CI does').toBe(0);
    try {
      const result = await start({ PORT: '0', DOCKSIDE_STATE_DIR: state });
      expect(result.code).not.toBe(0);
      expectOneClearLine(result.stderr, /Only \d+ MiB are free under .*DOCKSIDE_STATE_DIR/);
    } finally {
      await runCommand('umount', [state]);
    }
  });
});
