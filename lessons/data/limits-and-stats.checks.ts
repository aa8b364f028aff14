import { defineLessonChecks, fail, inspectContainer, pass } from '../../lab-server/src/checks/check-api.ts';

interface Inspected {
  State: { Running: boolean; OOMKilled: boolean; ExitCode: number };
  HostConfig: { Memory: number; NanoCpus: number; CpuQuota: number; CpuPeriod: number };
}

const MiB = 1024 * 1024;

/** CPUs as the engine recorded them: --cpus sets NanoCpus, --cpu-quota/--cpu-period the pair. */
const cpusOf = (h: Inspected['HostConfig']) =>
  h.NanoCpus > 0 ? h.NanoCpus / 1e9 : h.CpuQuota > 0 ? h.CpuQuota / (h.CpuPeriod || 100_000) : 0;

export default defineLessonChecks({
  lesson: 'data/limits-and-stats',
  exercises: {
    capped: async (lab) => {
      const c = await inspectContainer<Inspected>(lab.node('node1'), 'capped');
      if (!c) return fail('there is no container named capped on node1');
      if (!c.State.Running) return fail('capped exists but is not running (docker logs capped says why)');
      const memory = c.HostConfig.Memory;
      if (memory === 0) return fail('capped has no memory limit (--memory 64m)');
      if (memory !== 64 * MiB) return fail(`capped may use ${Math.round(memory / MiB)} MiB, 64 MiB expected`);
      const cpus = cpusOf(c.HostConfig);
      if (cpus === 0) return fail('capped has no CPU limit (--cpus 0.5)');
      if (cpus > 0.5) return fail(`capped may use ${cpus} CPUs, at most 0.5 expected`);
      return pass(`capped runs with 64 MiB of memory and ${cpus} CPU`);
    },
    'oom-killed': async (lab) => {
      const c = await inspectContainer<Inspected>(lab.node('node1'), 'hog');
      if (!c) return fail('there is no container named hog on node1 (run it without --rm, to inspect it)');
      if (c.HostConfig.Memory === 0 || c.HostConfig.Memory > 32 * MiB) {
        return fail(
          `hog may use ${c.HostConfig.Memory ? `${Math.round(c.HostConfig.Memory / MiB)} MiB` : 'all memory'}, 32 MiB at most expected`,
        );
      }
      if (c.State.Running)
        return fail('hog is still running: give it something that eats memory (tail /dev/zero)');
      if (!c.State.OOMKilled)
        return fail(`hog ended with exit code ${c.State.ExitCode}, not killed for its memory`);
      return pass(
        `hog was killed by the kernel for going over its ${Math.round(c.HostConfig.Memory / MiB)} MiB (exit code ${c.State.ExitCode})`,
      );
    },
  },
});
