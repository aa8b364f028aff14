import { type ChildProcess, spawn } from 'node:child_process';
import { runCommand } from '../../src/util/run-command.ts';
import { waitFor } from '../../src/util/wait-for.ts';

/**
 * A stand-in for "outside" that never leaves this machine: a network namespace of the suite's own,
 * joined to the host by a veth pair, that owns the metadata address (169.254.169.254) and a
 * documentation address (198.51.100.7, TEST-NET-2) standing for the internet, with an HTTP server on
 * both. The host routes the two addresses to it, so a sandbox packet that got past the fences would
 * reach this namespace, not a real network.
 */
export class OutsideHost {
  static readonly METADATA = '169.254.169.254';
  static readonly INTERNET = '198.51.100.7';
  readonly #ns: string;
  readonly #hostIf: string;
  #server: ChildProcess | undefined;

  private constructor(ns: string) {
    this.#ns = ns;
    this.#hostIf = `${ns.slice(0, 10)}-h`;
  }

  static async start(name = `dsk-out-${process.pid % 10_000}`): Promise<OutsideHost> {
    const host = new OutsideHost(name);
    await host.#setUp();
    return host;
  }

  async #setUp(): Promise<void> {
    const ns = this.#ns;
    const peer = `${ns.slice(0, 10)}-n`;
    const run = async (cmd: string, args: string[]) => {
      const r = await runCommand(cmd, args);
      if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr.trim()}`);
    };
    await this.dispose();
    await run('ip', ['netns', 'add', ns]);
    await run('ip', ['link', 'add', this.#hostIf, 'type', 'veth', 'peer', 'name', peer]);
    await run('ip', ['link', 'set', peer, 'netns', ns]);
    await run('ip', ['addr', 'add', '169.254.250.1/30', 'dev', this.#hostIf]); // Link-local: no host's LAN uses it
    await run('ip', ['link', 'set', this.#hostIf, 'up']);
    await run('ip', ['-n', ns, 'addr', 'add', '169.254.250.2/30', 'dev', peer]);
    await run('ip', ['-n', ns, 'addr', 'add', `${OutsideHost.METADATA}/32`, 'dev', peer]);
    await run('ip', ['-n', ns, 'addr', 'add', `${OutsideHost.INTERNET}/32`, 'dev', peer]);
    await run('ip', ['-n', ns, 'link', 'set', peer, 'up']);
    await run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    await run('ip', ['-n', ns, 'route', 'add', 'default', 'via', '169.254.250.1']);
    for (const address of [OutsideHost.METADATA, OutsideHost.INTERNET]) {
      await run('ip', ['route', 'replace', `${address}/32`, 'via', '169.254.250.2', 'dev', this.#hostIf]);
    }
    this.#server = spawn(
      'ip',
      ['netns', 'exec', ns, 'python3', '-m', 'http.server', '80', '--bind', '0.0.0.0'],
      {
        stdio: 'ignore',
      },
    );
    // The host itself reaches it: the probes' failures from sandboxes are the fences, not a dead server.
    await waitFor(() => this.reachableFromHost(OutsideHost.INTERNET), {
      timeoutMs: 10_000,
      what: 'the outside stand-in answering on port 80',
    });
  }

  async reachableFromHost(address: string): Promise<boolean> {
    const r = await runCommand('curl', [
      '-s',
      '-m',
      '2',
      '-o',
      '/dev/null',
      '-w',
      '%{http_code}',
      `http://${address}/`,
    ]);
    return r.stdout.trim() === '200';
  }

  async dispose(): Promise<void> {
    this.#server?.kill('SIGKILL');
    this.#server = undefined;
    for (const address of [OutsideHost.METADATA, OutsideHost.INTERNET]) {
      await runCommand('ip', ['route', 'del', `${address}/32`]).catch(() => undefined);
    }
    await runCommand('ip', ['link', 'del', this.#hostIf]).catch(() => undefined);
    await runCommand('ip', ['netns', 'pids', this.#ns])
      .then(async (r) => {
        for (const pid of r.stdout.split(/\s+/).filter(Boolean)) {
          await runCommand('kill', ['-9', pid]).catch(() => undefined);
        }
      })
      .catch(() => undefined);
    await runCommand('ip', ['netns', 'del', this.#ns]).catch(() => undefined);
  }
}
