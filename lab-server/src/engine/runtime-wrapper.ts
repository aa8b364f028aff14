import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** What the wrapper removes from every container and exec process before runc sees it. */
export interface RuntimePolicy {
  dropCapabilities: string[];
  /**
   * Privileged containers (the nodes) get no block device: none in their /dev, and a device cgroup
   * that allows character devices only, so a disk made with mknod can be neither read nor mounted.
   * Docker gives privileged containers every host device and an allow-all device cgroup.
   */
  fenceDevices?: boolean;
}

export interface RuntimeWrapperFiles {
  /** The executable registered with `dockerd --add-runtime`. */
  wrapper: string;
  editor: string;
}

/**
 * Writes an OCI runtime that edits the spec and then execs the real runc. Docker ignores `--cap-drop` on
 * privileged containers and asks for every capability the kernel knows, so removing what the host
 * cannot grant (or what nodes must not have) has to happen below Docker. The shell part execs runc
 * directly, so only `create`, `run` and `exec` pay for the JSON edit.
 */
export function writeRuntimeWrapper(
  dir: string,
  policy: RuntimePolicy,
  options: { runc: string; node: string },
): RuntimeWrapperFiles {
  mkdirSync(dir, { recursive: true });
  const editor = join(dir, 'edit-spec.cjs');
  const wrapper = join(dir, 'dockside-runc');
  writeFileSync(editor, editorSource(policy));
  writeFileSync(wrapper, wrapperSource({ runc: options.runc, node: options.node, editor }));
  chmodSync(wrapper, 0o755);
  return { wrapper, editor };
}

const shellQuote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;

function wrapperSource(paths: { runc: string; node: string; editor: string }): string {
  return `#!/bin/sh
# Dockside OCI runtime wrapper, written by the lab server at start-up: edit the process spec, then exec runc.
RUNC=${shellQuote(paths.runc)}
NODE=${shellQuote(paths.node)}
EDITOR=${shellQuote(paths.editor)}
sub= bundle= proc= want=
for arg do
  if [ -n "$want" ]; then
    case "$want" in bundle) bundle=$arg ;; proc) proc=$arg ;; esac
    want=; continue
  fi
  if [ -z "$sub" ]; then
    case "$arg" in
      --root|--log|--log-format|--criu) want=skip ;;
      -*) ;;
      *) sub=$arg ;;
    esac
  else
    case "$arg" in
      --bundle|-b) want=bundle ;;
      --bundle=*) bundle=\${arg#*=} ;;
      --process|-p) want=proc ;;
      --process=*) proc=\${arg#*=} ;;
    esac
  fi
done
case "$sub" in
  create|run) "$NODE" "$EDITOR" spec "\${bundle:-.}/config.json" || exit 1 ;;
  exec) if [ -n "$proc" ]; then "$NODE" "$EDITOR" process "$proc" || exit 1; fi ;;
esac
exec "$RUNC" "$@"
`;
}

function editorSource(policy: RuntimePolicy): string {
  return `'use strict';
// Removes capabilities from an OCI spec (spec) or an exec process file (process). Written by Dockside.
const fs = require('node:fs');
const drop = new Set(${JSON.stringify(policy.dropCapabilities)});
const fenceDevices = ${JSON.stringify(policy.fenceDevices === true)};
const [mode, file] = process.argv.slice(2);
try {
  const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
  const proc = mode === 'spec' ? doc.process : doc;
  let changed = false;
  const linux = mode === 'spec' ? doc.linux : undefined;
  const rules = linux && linux.resources && linux.resources.devices;
  const allowsAll = Array.isArray(rules) && rules.some((r) => r.allow && (!r.type || r.type === 'a'));
  if (fenceDevices && allowsAll) {
    // Character devices only (tty, null, fuse, tun...); /dev/mem and the like also need CAP_SYS_RAWIO.
    linux.resources.devices = [
      { allow: false, access: 'rwm' },
      { allow: true, type: 'c', access: 'rwm' },
      { allow: true, type: 'b', access: 'm' },
    ];
    if (Array.isArray(linux.devices)) linux.devices = linux.devices.filter((d) => d.type !== 'b');
    changed = true;
  }
  const caps = proc && proc.capabilities;
  if (caps) {
    for (const set of Object.keys(caps)) {
      if (!Array.isArray(caps[set])) continue;
      const kept = caps[set].filter((c) => !drop.has(c));
      if (kept.length !== caps[set].length) {
        caps[set] = kept;
        changed = true;
      }
    }
  }
  if (changed) fs.writeFileSync(file, JSON.stringify(doc));
} catch (err) {
  process.stderr.write('dockside-runc: cannot edit ' + file + ': ' + err.message + '\\n');
  process.exit(1);
}
`;
}
