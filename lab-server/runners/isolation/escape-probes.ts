/**
 * The escape suite's probes: for each promise (promises.ts), what a learner would try to break it,
 * run for real from a node and from a privileged container started inside that node, with a positive
 * control wherever a failure could otherwise mean a broken probe rather than a kept promise.
 */

import type { PromiseId } from '../../src/security/promises.ts';
import { waitFor } from '../../src/util/wait-for.ts';

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface ProbeContext {
  /** A shell command on the attacking session's node1 (as root, as a learner's terminal). */
  node(command: string, timeoutMs?: number): Promise<ExecResult>;
  /** The same inside `docker run --privileged` on that node. */
  privileged(command: string, timeoutMs?: number): Promise<ExecResult>;
  /** A shell command on another node of the attacking session. */
  peer(command: string, timeoutMs?: number): Promise<ExecResult>;
  /** A shell command on node1 of the other session (the victim). */
  victim(command: string, timeoutMs?: number): Promise<ExecResult>;
  victimAddresses: string[];
  /** The attacking session's network gateway (an address of the host). */
  gateway: string;
  /** Host addresses, each with a TCP port the suite listens on there. */
  hostListeners: { address: string; port: number }[];
  labPort: number;
  outside: { metadata: string; internet: string; reachableFromHost(address: string): Promise<boolean> };
  /** Measures another learner's keystroke echo through the lab's terminal WebSocket (ms, p50/p99). */
  victimEcho(samples: number): Promise<{ p50: number; p99: number }>;
  /** Starts a `yes` flood in a terminal of the attacking session and CPU spinners on its node. */
  flood(): Promise<() => Promise<void>>;
  /** The lab still answers, and the victim's node still runs commands. */
  othersCarryOn(): Promise<string | undefined>;
  restartAttackerNode(node: string): Promise<void>;
  /** Whether the node's pids cgroup refused a fork at its limit (pids.events on the host). */
  pidsLimitHit(node: string): Promise<boolean>;
  killAttackerNode(node: string): Promise<void>;
  /** The caps the lab was started with: a node's /var/lib/docker, and its own files outside it. */
  disk: { dockerBytes: number; filesBytes: number; graceMs: number; watchMs: number };
  /** The state of a node of the attacking session (running, exited, ...). */
  attackerNodeState(node: string): Promise<string>;
  /** Events of the attacking session so far. */
  attackerEvents(): Promise<{ type: string; data: Record<string, unknown> }[]>;
  /** Bytes free on the host's file system that holds the lab's state. */
  hostFreeBytes(): number;
}

export interface Outcome {
  ok: boolean;
  detail: string;
}

export type Probe = (ctx: ProbeContext) => Promise<Outcome>;

type DiskEvent = { id: number; at: number; type: string; data: Record<string, unknown> };

/** The first event of a type about node2 after event `after`, waited for up to `timeoutMs`. */
async function nextDiskEvent(
  ctx: ProbeContext,
  type: string,
  after: number,
  timeoutMs: number,
): Promise<DiskEvent | undefined> {
  const find = async () =>
    ((await ctx.attackerEvents()) as DiskEvent[]).find(
      (e) => e.id > after && e.type === type && e.data.node === 'node2',
    );
  if (timeoutMs === 0) return find();
  return waitFor(find, { timeoutMs, what: `a ${type} event`, intervalMs: 250 }).catch(() => undefined);
}

/** node2 writes past its files cap; the watchdog stops it and says why (the event, or what broke). */
async function fillAndStop(ctx: ProbeContext, fill: string, after: number): Promise<DiskEvent | string> {
  // The write may be cut off by the stop: the exec's answer does not matter, the event does.
  await ctx.peer(fill, 120_000).catch(() => undefined);
  const stopped = await nextDiskEvent(ctx, 'node-disk-full', after, 30_000);
  const state = await ctx.attackerNodeState('node2');
  if (!stopped && state === 'running') return 'node2 wrote past its files cap and still runs';
  if (!stopped) return 'node2 was stopped, but the learner was not told why (no node-disk-full event)';
  if (state === 'running') return 'the learner was told node2 was stopped, but it still runs';
  return stopped;
}

/** Restarts node2 over its cap: it must run, with a grace warning that says how much to free and where. */
async function restartWarned(ctx: ProbeContext, after: number): Promise<DiskEvent | string> {
  await ctx.restartAttackerNode('node2');
  const warning = await nextDiskEvent(ctx, 'node-disk-warning', after, 30_000);
  if (!warning) return 'node2 restarted over its cap, but no grace warning came';
  const largest = (warning.data.largest as { path: string }[] | undefined) ?? [];
  if (!(Number(warning.data.freeBytes) > 0) || largest[0]?.path !== '/root/fill')
    return `the grace warning did not say how much to free and where: ${String(warning.data.message)}`;
  if ((await ctx.attackerNodeState('node2')) !== 'running') return 'node2 did not run in its grace window';
  return warning;
}

/** Waits until the grace window of a warning has ended and the watchdog has looked twice since. */
async function pastGrace(ctx: ProbeContext, warning: DiskEvent): Promise<void> {
  const end = Number(warning.data.graceEndsAt) + 2 * ctx.disk.watchMs;
  await waitFor(() => Date.now() > end, {
    timeoutMs: ctx.disk.graceMs + 10_000,
    what: 'the end of the grace window',
    intervalMs: 250,
  });
}

const ok = (detail: string): Outcome => ({ ok: true, detail });
const broken = (detail: string): Outcome => ({ ok: false, detail });

/** Where every probe attacks from: the node itself, and a privileged container started inside it. */
const attackPoints = (ctx: ProbeContext) =>
  [
    ['node', ctx.node],
    ['privileged container', ctx.privileged],
  ] as const;

/** Runs a check from the node and from a privileged container inside it; both must hold. */
async function both(
  ctx: ProbeContext,
  command: string,
  judge: (out: string, where: string) => Outcome,
): Promise<Outcome> {
  const results: Outcome[] = [];
  for (const [where, run] of attackPoints(ctx)) {
    const r = await run(command, 60_000);
    results.push(judge(`${r.stdout}\n${r.stderr}`, where));
  }
  const failed = results.find((r) => !r.ok);
  return failed ?? ok(results.map((r) => r.detail).join('; '));
}

const FORBIDDEN_CAPS = ['CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_BOOT', 'CAP_SYS_TIME'];

/** Decodes CapBnd in shell-free TypeScript (the probe only prints the hex). */
function capsOf(hex: string): string[] {
  const bits: Record<string, number> = {
    CAP_SYS_MODULE: 16,
    CAP_SYS_RAWIO: 17,
    CAP_SYS_BOOT: 22,
    CAP_SYS_TIME: 25,
  };
  const mask = BigInt(`0x${hex}`);
  return FORBIDDEN_CAPS.filter((c) => (mask >> BigInt(bits[c] ?? 0)) & 1n);
}

/** Lines like "CONNECT <target> <exit code>" from a loop of nc or curl attempts. */
function reached(out: string): string[] {
  return [...out.matchAll(/^CONNECT (\S+) (\d+)$/gm)].filter((m) => m[2] === '0').map((m) => m[1] ?? '');
}

/** One TCP connection attempt per target, all at once (a dropped packet costs the 2 s timeout). */
const tcpAttempts = (targets: string[]) =>
  `${targets
    .map((t) => {
      const [host, port] = t.split(':');
      return `(timeout 4 nc -z -w 2 ${host} ${port} >/dev/null 2>&1; echo "CONNECT ${t} $?") &`;
    })
    .join('\n')}\nwait`;

export const PROBES: Record<PromiseId, Probe> = {
  capabilities: (ctx) =>
    both(ctx, "awk '/^CapBnd:/ { print $2 }' /proc/self/status", (out, where) => {
      const hex = /^[0-9a-f]{16}$/m.exec(out)?.[0];
      if (!hex) return broken(`${where}: could not read CapBnd (${out.trim().slice(0, 120)})`);
      const held = capsOf(hex);
      return held.length === 0
        ? ok(`${where}: bounding set ${hex} holds none of them`)
        : broken(`${where} holds ${held.join(', ')}`);
    }),

  'kernel-modules': (ctx) =>
    // init_module with an empty image: EPERM without CAP_SYS_MODULE, a format error with it.
    both(ctx, 'head -c 4096 /dev/zero > /tmp/x.ko; busybox insmod /tmp/x.ko; echo "EXIT $?"', (out, where) =>
      /Operation not permitted/i.test(out)
        ? ok(`${where}: insmod refused (Operation not permitted: no CAP_SYS_MODULE)`)
        : /does not support requested operation|Function not implemented/i.test(out)
          ? ok(
              `${where}: insmod refused (this kernel has no module loading at all; CAP_SYS_MODULE is gone too)`,
            )
          : broken(`${where}: insmod was not refused: ${out.trim().slice(0, 160)}`),
    ),

  'kernel-memory': (ctx) =>
    both(
      ctx,
      [
        'head -c 1 /proc/kcore >/dev/null 2>&1; echo "KCORE $?"',
        'rm -f /tmp/m /tmp/p; mknod /tmp/m c 1 1 && mknod /tmp/p c 1 4',
        'head -c 1 /tmp/m >/dev/null 2>&1; echo "MEM $?"',
        'head -c 1 /tmp/p >/dev/null 2>&1; echo "PORT $?"',
      ].join('\n'),
      (out, where) => {
        const read = ['KCORE', 'MEM', 'PORT'].filter((k) => new RegExp(`^${k} 0$`, 'm').test(out));
        return read.length === 0
          ? ok(`${where}: /proc/kcore, /dev/mem and /dev/port unreadable`)
          : broken(`${where} read ${read.join(', ')}`);
      },
    ),

  clock: (ctx) =>
    // Setting the clock to the time it already has: harmless if the promise were broken.
    both(ctx, 'date -s "@$(date +%s)" >/dev/null 2>&1; echo "DATE $?"', (out, where) =>
      /^DATE [1-9]/m.test(out) ? ok(`${where}: date -s refused`) : broken(`${where} could set the clock`),
    ),

  reboot: async (ctx) => {
    // Only from a nested container: it is in a PID namespace of its own, so a broken promise would
    // end that container, not the host.
    const r = await ctx.privileged('busybox reboot -f -n; echo "REBOOT $?"; sleep 1; echo ALIVE', 30_000);
    const out = `${r.stdout}${r.stderr}`;
    if (/^REBOOT [1-9]/m.test(out) && out.includes('ALIVE')) return ok('reboot(2) refused (no CAP_SYS_BOOT)');
    return broken(`reboot was not refused: ${out.trim().slice(0, 160)}`);
  },

  'host-devices': (ctx) =>
    both(
      ctx,
      [
        'echo "BLOCK $(find /dev -type b 2>/dev/null | wc -l)"',
        'disk=$(awk \'NR > 2 && $2 == 0 { print $1 ":" $2; exit }\' /proc/partitions)',
        'echo "DISK ${disk:-none}"',
        'if [ -n "$disk" ]; then rm -f /tmp/d; mknod /tmp/d b ${disk%%:*} ${disk##*:}',
        '  dd if=/tmp/d of=/dev/null bs=512 count=1 2>/dev/null; echo "READ $?"',
        '  mkdir -p /tmp/mnt; mount -o ro /tmp/d /tmp/mnt 2>/dev/null; echo "MOUNT $?"',
        '  echo "b *:* rwm" > /sys/fs/cgroup/devices/devices.allow 2>/dev/null; echo "ALLOW $?"',
        '  dd if=/tmp/d of=/dev/null bs=512 count=1 2>/dev/null; echo "READ2 $?"',
        'fi',
      ].join('\n'),
      (out, where) => {
        const block = Number(/^BLOCK (\d+)/m.exec(out)?.[1] ?? -1);
        if (block !== 0) return broken(`${where}: ${block} block devices in /dev`);
        if (/^DISK none/m.test(out)) return broken(`${where}: no disk in /proc/partitions to try`);
        const got = ['READ', 'MOUNT', 'READ2'].filter((k) => new RegExp(`^${k} 0$`, 'm').test(out));
        return got.length === 0
          ? ok(
              `${where}: no block device in /dev; the host disk made with mknod could not be read or mounted, and devices.allow could not widen`,
            )
          : broken(`${where}: ${got.join(', ')} of the host disk succeeded`);
      },
    ),

  'proc-writes': (ctx) =>
    // Harmless values only: sysrq 'h' prints help to the kernel log; core_pattern is written back as is.
    both(
      ctx,
      [
        'mkdir -p /tmp/p2 && mount -t proc proc /tmp/p2 2>/dev/null; P=/tmp/p2; [ -e $P/sysrq-trigger ] || P=/proc',
        'echo h > $P/sysrq-trigger 2>/dev/null; echo "SYSRQ $?"',
        'cat $P/sys/kernel/core_pattern > /tmp/cp && cat /tmp/cp > $P/sys/kernel/core_pattern 2>/dev/null; echo "CORE $?"',
      ].join('\n'),
      (out, where) => {
        const wrote = ['SYSRQ', 'CORE'].filter((k) => new RegExp(`^${k} 0$`, 'm').test(out));
        return wrote.length === 0
          ? ok(`${where}: writes refused`)
          : broken(`${where} wrote ${wrote.join(', ')}`);
      },
    ),

  'release-agent': (ctx) =>
    both(
      ctx,
      [
        'mkdir -p /tmp/cg; found=no',
        'for c in memory pids cpu,cpuacct blkio freezer devices; do',
        '  mount -t cgroup -o $c cgroup /tmp/cg 2>/dev/null || continue',
        '  echo "MOUNTED $c"; [ -e /tmp/cg/release_agent ] && found=$c; umount /tmp/cg',
        'done',
        'echo "RELEASE_AGENT $found"',
      ].join('\n'),
      (out, where) => {
        const found = /^RELEASE_AGENT (\S+)/m.exec(out)?.[1];
        const mounted = out.match(/^MOUNTED /gm)?.length ?? 0;
        if (found === 'no') {
          return ok(
            `${where}: ${mounted} v1 hierarchies mounted, none shows a release_agent (rooted at the node's cgroup)`,
          );
        }
        return broken(`${where}: release_agent visible in a freshly mounted ${found} hierarchy`);
      },
    ),

  'engine-sockets': async (ctx) => {
    // Every unix socket a node can see, asked whether it is a Docker engine other than the node's own.
    const own = (await ctx.node("docker info -f '{{.ID}}'")).stdout.trim();
    if (!own) return broken('could not read the node’s own engine id');
    const scan = [
      'for s in $(find / -xdev -type s 2>/dev/null) /run/containerd/containerd.sock /var/run/docker.sock; do',
      '  [ -S "$s" ] || continue',
      '  id=$(curl -s -m 2 --unix-socket "$s" http://engine/info 2>/dev/null | jq -r .ID 2>/dev/null)',
      '  echo "SOCKET $s ${id:-none}"',
      'done',
      "echo \"TCP $(ss -ltnH 2>/dev/null | awk '{ print $4 }' | grep -cE ':(2375|2376)$')\"",
    ].join('\n');
    for (const [where, run] of attackPoints(ctx)) {
      const r = await run(scan, 60_000);
      const foreign = [...r.stdout.matchAll(/^SOCKET (\S+) (\S+)$/gm)].filter(
        (m) => m[2] !== 'none' && m[2] !== 'null' && m[2] !== own,
      );
      if (foreign.length > 0)
        return broken(`${where} reaches another engine at ${foreign.map((m) => m[1]).join(', ')}`);
      if (where === 'node' && !/^TCP 0$/m.test(r.stdout))
        return broken('the node’s engine listens on TCP 2375/2376');
    }
    const peerTcp = await ctx.peer(tcpAttempts(['node1:2375', 'node1:2376']));
    if (reached(peerTcp.stdout).length > 0) return broken('node1’s engine answers on TCP from node2');
    return ok('only the node’s own engine answers, on a unix socket; no engine on TCP 2375/2376');
  },

  'other-sessions': async (ctx) => {
    // Positive control: the victim's own node reaches its web server.
    const own = await ctx.victim(tcpAttempts(['127.0.0.1:8080']));
    if (reached(own.stdout).length !== 1)
      return broken('control failed: the victim’s web server does not answer locally');
    const targets = ctx.victimAddresses.flatMap((a) => [
      `${a}:8080`,
      `${a}:2375`,
      `${a}:2377`,
      `${a}:7946`,
      `${a}:22`,
    ]);
    for (const [where, run] of attackPoints(ctx)) {
      const r = await run(tcpAttempts(targets), 120_000);
      const hit = reached(r.stdout);
      if (hit.length > 0) return broken(`${where} reached ${hit.join(', ')} in another session`);
      const ping = await run(`ping -c 1 -W 1 ${ctx.victimAddresses[0]} >/dev/null 2>&1; echo "PING $?"`);
      if (/^PING 0$/m.test(ping.stdout)) return broken(`${where} pings another session's node`);
    }
    return ok(
      `${targets.length} ports on the ${ctx.victimAddresses.length} node(s) of another session unreachable (ping too); the victim reaches its own`,
    );
  },

  'host-addresses': async (ctx) => {
    const targets = [
      `${ctx.gateway}:${ctx.labPort}`,
      ...ctx.hostListeners.map((l) => `${l.address}:${l.port}`),
    ];
    for (const [where, run] of attackPoints(ctx)) {
      const r = await run(tcpAttempts(targets), 120_000);
      const hit = reached(r.stdout);
      if (hit.length > 0) return broken(`${where} reached the host at ${hit.join(', ')}`);
    }
    return ok(
      `the gateway and ${ctx.hostListeners.length} host addresses with a listening port are unreachable`,
    );
  },

  metadata: async (ctx) => {
    if (!(await ctx.outside.reachableFromHost(ctx.outside.metadata))) {
      return broken('control failed: the metadata stand-in does not answer the host');
    }
    const command = `curl -s -m 3 -o /dev/null http://${ctx.outside.metadata}/latest/meta-data/; echo "CONNECT metadata $?"`;
    for (const [where, run] of attackPoints(ctx)) {
      const r = await run(command);
      if (reached(r.stdout).length > 0) return broken(`${where} reached ${ctx.outside.metadata}`);
    }
    return ok(`${ctx.outside.metadata} answers the host but not a node`);
  },

  egress: async (ctx) => {
    if (!(await ctx.outside.reachableFromHost(ctx.outside.internet))) {
      return broken('control failed: the outside stand-in does not answer the host');
    }
    // The allowed exceptions answer: the hub mirror and the package proxy.
    const allowed = await ctx.node(
      'curl -s -m 5 -o /dev/null http://mirror:5000/v2/; echo "CONNECT mirror $?"; timeout 4 nc -z -w 2 apt 3142; echo "CONNECT apt $?"',
    );
    if (reached(allowed.stdout).length !== 2)
      return broken(`the mirror or the package proxy does not answer: ${allowed.stdout}`);
    for (const [where, run] of attackPoints(ctx)) {
      const r = await run(
        `curl -s -m 3 -o /dev/null http://${ctx.outside.internet}/; echo "CONNECT internet $?"; ${tcpAttempts([`${ctx.outside.internet}:443`])}`,
      );
      if (reached(r.stdout).length > 0) return broken(`${where} reached ${ctx.outside.internet} (outside)`);
    }
    return ok(
      'an outside address that answers the host is unreachable; the mirror and the package proxy answer',
    );
  },

  memory: async (ctx) => {
    // A nested container eats memory until the node's limit: the kernel kills it inside the node.
    const r = await ctx.node(
      'docker run --rm --name membomb dockside-probe sh -c \'tail /dev/zero\'; echo "EXIT $?"',
      120_000,
    );
    const code = Number(/^EXIT (\d+)/m.exec(r.stdout)?.[1] ?? -1);
    if (code !== 137)
      return broken(`the memory bomb ended with ${code}, 137 (killed) expected: ${r.stderr.slice(-200)}`);
    const after = await ctx.node('docker info -f "{{.ServerVersion}}" && echo NODE-OK');
    if (!after.stdout.includes('NODE-OK')) return broken('the node’s engine died with the bomb');
    const others = await ctx.othersCarryOn();
    return others
      ? broken(others)
      : ok(
          'the bomb was OOM-killed inside the node (exit 137); its engine, the lab and the other session carry on',
        );
  },

  pids: async (ctx) => {
    // A fork bomb on node2 fills its pids limit; nothing else may notice. The node is then killed and
    // restarted through the lab, as a learner would recover it.
    await ctx
      .peer("nohup sh -c 'f() { f | f & }; f' >/dev/null 2>&1 & echo STARTED", 60_000)
      .catch(() => undefined);
    // Judged while the bomb presses on the limit: from the moment it reaches it.
    const limited = await waitFor(() => ctx.pidsLimitHit('node2'), {
      timeoutMs: 30_000,
      what: 'the bomb to reach the pids limit',
      intervalMs: 250,
    }).catch(() => false);
    const others = await ctx.othersCarryOn();
    const self = await ctx.node('echo NODE1-OK');
    await ctx.killAttackerNode('node2');
    await ctx.restartAttackerNode('node2');
    const back = await ctx.peer('echo BACK');
    if (others) return broken(others);
    if (!self.stdout.includes('NODE1-OK'))
      return broken('a fork bomb on node2 stopped node1 of the same session');
    if (!back.stdout.includes('BACK')) return broken('node2 did not come back after a restart');
    if (!limited) return broken('node2’s pids cgroup never reached its limit: the bomb did not run');
    return ok(
      'the bomb stopped at node2’s pids limit; node1, the lab and the other session carried on; node2 restarted clean',
    );
  },

  disk: async (ctx) => {
    const mib = (bytes: number) => Math.round(bytes / 2 ** 20);
    const hostBefore = ctx.hostFreeBytes();
    const cap = ctx.disk.dockerBytes;
    // 1. Docker storage: write twice the cap into /var/lib/docker, from the node and from a privileged
    // container (its layer lives there too). The write must stop near the cap with ENOSPC.
    const twice = mib(cap * 2);
    const fills: string[] = [];
    for (const [where, run, path] of [
      ['node', ctx.node, '/var/lib/docker/fill'],
      ['privileged container', ctx.privileged, '/fill'],
    ] as const) {
      const r = await run(
        `dd if=/dev/zero of=${path} bs=1M count=${twice} 2>&1; sync; echo "WROTE $(du -m ${path} | cut -f1)"; rm -f ${path}`,
        120_000,
      );
      if (r.exitCode === -1) return broken(`${where}: the fill could not run: ${r.stderr}`);
      const wrote = Number(/^WROTE (\d+)/m.exec(r.stdout)?.[1] ?? Number.NaN);
      if (!/No space left on device/.test(r.stdout))
        return broken(
          `${where}: writing ${twice} MiB into Docker storage did not stop (${r.stdout.trim().slice(-200)})`,
        );
      if (!(wrote <= mib(cap))) return broken(`${where}: wrote ${wrote} MiB, past the ${mib(cap)} MiB cap`);
      fills.push(`a fill from the ${where} ended with ENOSPC after ${wrote} MiB`);
    }
    // 2. Growing the file system from inside: its loop device cannot be opened (device cgroup) and the
    // image file is on the host, out of sight.
    const grow = await ctx.node(
      [
        'dev=$(awk \'$5 == "/var/lib/docker" { print $3; exit }\' /proc/self/mountinfo)',
        'rm -f /tmp/ld; mknod /tmp/ld b ${dev%%:*} ${dev##*:} 2>/dev/null',
        'if dd if=/tmp/ld of=/dev/null bs=4096 count=1 2>/dev/null; then echo "OPENED $dev"; else echo "REFUSED $dev"; fi',
        'resize2fs /tmp/ld 64G >/dev/null 2>&1 && echo GREW',
        'df -B1 --output=size /var/lib/docker | tail -1',
      ].join('\n'),
    );
    if (/^OPENED|^GREW/m.test(grow.stdout))
      return broken(`the node opened or grew its own disk device: ${grow.stdout.trim()}`);
    const size = Number(grow.stdout.trim().split('\n').pop());
    if (!(size <= cap)) return broken(`the node's Docker storage is ${size} bytes, past its ${cap}-byte cap`);
    // 3. The node's own files (outside /var/lib/docker): node2 writes past its cap; the watchdog stops
    // it and says why. Each step waits for the state the product promises, never for a fixed time.
    const files = mib(ctx.disk.filesBytes);
    const fill = `dd if=/dev/zero of=/root/fill bs=1M count=${files + 256} >/dev/null 2>&1; sync; echo DONE`;
    const first = await fillAndStop(ctx, fill, 0);
    if (typeof first === 'string') return broken(first);
    // Restarted: a grace window with a warning, and no second stop while the learner frees space.
    const warned = await restartWarned(ctx, first.id);
    if (typeof warned === 'string') return broken(warned);
    const freed = await ctx.peer('rm -f /root/fill && echo FREED');
    if (!freed.stdout.includes('FREED')) return broken(`node2 could not delete its files: ${freed.stderr}`);
    const underCap = await nextDiskEvent(ctx, 'node-disk-ok', warned.id, 30_000);
    if (!underCap) return broken('node2 freed its files, but the watchdog never saw it back under its cap');
    await pastGrace(ctx, warned);
    const state = await ctx.attackerNodeState('node2');
    const stoppedAgain = await nextDiskEvent(ctx, 'node-disk-full', first.id, 0);
    if (state !== 'running' || stoppedAgain)
      return broken(`node2 freed its files in the grace window and was still stopped again (${state})`);
    // 4. Restarted over its cap and nothing freed: stopped again when the window ends, and the hard
    // ceiling held through it.
    const second = await fillAndStop(ctx, fill, underCap.id);
    if (typeof second === 'string') return broken(second);
    const warnedAgain = await restartWarned(ctx, second.id);
    if (typeof warnedAgain === 'string') return broken(warnedAgain);
    const graceEndsAt = Number(warnedAgain.data.graceEndsAt);
    const ended = await nextDiskEvent(ctx, 'node-disk-full', warnedAgain.id, ctx.disk.graceMs + 30_000);
    if (!ended) return broken('node2 stayed over its cap past its grace window and was not stopped again');
    if (ended.data.reason !== 'grace-ended' || ended.at < graceEndsAt)
      return broken(`node2 was stopped again for ${String(ended.data.reason)} before its grace window ended`);
    if (Number(ended.data.usedBytes) > Number(second.data.ceilingBytes))
      return broken(`node2 held ${mib(Number(ended.data.usedBytes))} MiB in its window, past its ceiling`);
    await ctx.restartAttackerNode('node2');
    const back = await ctx.peer('rm -f /root/fill && echo BACK');
    if (!back.stdout.includes('BACK')) return broken('node2 did not come back after a restart');
    const others = await ctx.othersCarryOn();
    if (others) return broken(others);
    const hostAfter = ctx.hostFreeBytes();
    return ok(
      `${fills.join('; ')} (cap ${mib(cap)} MiB); the disk device could not be opened nor grown; node2's own files past ${files} MiB stopped it with a message; restarted, it was warned, freed its files in the grace window and stayed up; restarted again without freeing, it was stopped when the window ended, under its ceiling; the host's free space moved by ${mib(hostBefore - hostAfter)} MiB`,
    );
  },

  cpu: async (ctx) => {
    const idle = await ctx.victimEcho(100);
    const stop = await ctx.flood();
    let loaded: { p50: number; p99: number };
    try {
      loaded = await ctx.victimEcho(300);
    } finally {
      await stop();
    }
    // A tenth of a second is where typing starts to feel late.
    const limit = 100;
    const detail = `victim's echo idle p50 ${idle.p50.toFixed(1)} / p99 ${idle.p99.toFixed(1)} ms; during a yes flood and 2 CPU spinners in another session p50 ${loaded.p50.toFixed(1)} / p99 ${loaded.p99.toFixed(1)} ms`;
    return loaded.p99 < limit ? ok(detail) : broken(`${detail} (p99 must stay under ${limit} ms)`);
  },

  cleanup: async () => broken('run by the suite itself (it needs a lab of its own)'),
};
