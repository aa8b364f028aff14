import {
  type CheckContext,
  defineLessonChecks,
  fail,
  inspectContainer,
  pass,
} from '../../lab-server/src/checks/check-api.ts';

interface Inspected {
  State: { Running: boolean };
  HostConfig: { LogConfig: { Type: string; Config: Record<string, string> } };
}

async function container(lab: CheckContext, name: string): Promise<Inspected | undefined> {
  return await inspectContainer<Inspected>(lab.node('node1'), name);
}

/** Sizes as Docker's log options write them: 1m, 1024k, 1000000. */
function bytes(size: string | undefined): number {
  const m = /^(\d+(?:\.\d+)?)([kmg]?)b?$/i.exec(size ?? '');
  if (!m) return Number.POSITIVE_INFINITY;
  const unit = { '': 1, k: 1e3, m: 1e6, g: 1e9 }[(m[2] ?? '').toLowerCase()] ?? 1;
  return Number(m[1]) * unit;
}

export default defineLessonChecks({
  lesson: 'data/logs-and-commits',
  exercises: {
    'rotated-logs': async (lab) => {
      const c = await container(lab, 'chatty');
      if (!c) return fail('there is no container named chatty on node1');
      if (!c.State.Running) return fail('chatty exists but is not running');
      const log = c.HostConfig.LogConfig;
      if (log.Type !== 'json-file') return fail(`chatty logs with ${log.Type}, json-file expected`);
      const size = log.Config['max-size'];
      const files = Number(log.Config['max-file'] ?? 1);
      if (!size)
        return fail('chatty has no max-size: its log file would grow for ever (--log-opt max-size=1m)');
      if (bytes(size) > 1.05e6) return fail(`chatty's log files may grow to ${size}, at most 1m expected`);
      if (!log.Config['max-file'] || files > 3) {
        return fail(
          `chatty keeps ${log.Config['max-file'] ?? 1} file(s); set --log-opt max-file=3 (at most 3)`,
        );
      }
      return pass(`chatty keeps at most ${files} json-file logs of ${size}`);
    },
    'no-logs': async (lab) => {
      const c = await container(lab, 'silent');
      if (!c) return fail('there is no container named silent on node1');
      if (!c.State.Running) return fail('silent exists but is not running');
      const type = c.HostConfig.LogConfig.Type;
      if (type !== 'none') return fail(`silent logs with ${type}; --log-driver none keeps nothing`);
      return pass('silent runs and the engine keeps none of its output');
    },
    committed: async (lab) => {
      const node = lab.node('node1');
      const image = (await node.docker
        .getImage('notes:1.0')
        .inspect()
        .catch(() => undefined)) as { Config: { Cmd?: string[] | null } } | undefined;
      if (!image) return fail('there is no image notes:1.0 on node1 (docker commit CONTAINER notes:1.0)');
      const r = await node.exec(['docker', 'run', '--rm', 'notes:1.0']);
      if (r.exitCode !== 0) return fail(`docker run --rm notes:1.0 failed: ${r.stderr.trim().slice(0, 120)}`);
      const files = await node.exec([
        'docker',
        'run',
        '--rm',
        '--entrypoint',
        'cat',
        'notes:1.0',
        '/notes.txt',
      ]);
      if (files.exitCode !== 0)
        return fail('notes:1.0 has no /notes.txt: write it in the container before committing');
      if (r.stdout.trim() !== files.stdout.trim() || !r.stdout.trim()) {
        return fail(
          `running notes:1.0 prints "${r.stdout.trim().slice(0, 60)}", not /notes.txt (--change 'CMD ["cat", "/notes.txt"]')`,
        );
      }
      return pass(`notes:1.0 prints its /notes.txt: "${r.stdout.trim().slice(0, 60)}"`);
    },
  },
});
