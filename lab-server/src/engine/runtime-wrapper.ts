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
  options: { runc: string; jq: string },
): RuntimeWrapperFiles {
  mkdirSync(dir, { recursive: true });
  const editor = join(dir, 'edit-spec.jq');
  const wrapper = join(dir, 'dockside-runc');
  writeFileSync(editor, editorSource(policy));
  writeFileSync(wrapper, wrapperSource({ runc: options.runc, jq: options.jq, editor }));
  chmodSync(wrapper, 0o755);
  return { wrapper, editor };
}

const shellQuote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;

function wrapperSource(paths: { runc: string; jq: string; editor: string }): string {
  return `#!/bin/sh
# Dockside OCI runtime wrapper, written by the lab server at start-up: edit the process spec, then exec runc.
RUNC=${shellQuote(paths.runc)}
JQ=${shellQuote(paths.jq)}
EDITOR=${shellQuote(paths.editor)}
# Rewrites a JSON file through the editor, whole or not at all (runc reads it once this returns).
edit() {
  if "$JQ" -c --arg mode "$1" -f "$EDITOR" "$2" > "$2.dockside"; then
    mv -f "$2.dockside" "$2"
  else
    rm -f "$2.dockside"
    echo "dockside-runc: cannot edit $2" >&2
    exit 1
  fi
}
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
  create|run) edit spec "\${bundle:-.}/config.json" ;;
  exec) if [ -n "$proc" ]; then edit process "$proc"; fi ;;
esac
exec "$RUNC" "$@"
`;
}

/**
 * The edit, as a jq program: jq starts in a few milliseconds where Node takes about 100 here, and the
 * wrapper runs for every container start and every exec (a terminal, a check, an API exec).
 */
function editorSource(policy: RuntimePolicy): string {
  return `# Removes capabilities from an OCI spec (mode spec) or an exec process file (mode process). Written by Dockside.
def drop: ${JSON.stringify(policy.dropCapabilities)};
def fence_devices: ${JSON.stringify(policy.fenceDevices === true)};
def without_caps:
  if (.capabilities | type) == "object" then
    .capabilities |= with_entries(
      if (.value | type) == "array" then .value |= map(select(. as $c | drop | index([$c]) | not)) else . end)
  else . end;
# An allow-all device rule (no type, or type a), which Docker gives privileged containers.
def allows_all:
  ((.linux.resources.devices // []) | type) == "array"
  and any((.linux.resources.devices // [])[]; .allow == true and ((.type // "") == "" or .type == "a"));
if $mode == "spec" then
  (if fence_devices and allows_all then
     # Character devices only (tty, null, fuse, tun...); /dev/mem and the like also need CAP_SYS_RAWIO.
     .linux.resources.devices = [
       {"allow": false, "access": "rwm"},
       {"allow": true, "type": "c", "access": "rwm"},
       {"allow": true, "type": "b", "access": "m"}
     ]
     | if (.linux.devices | type) == "array" then .linux.devices |= map(select(.type != "b")) else . end
   else . end)
  | if (.process | type) == "object" then .process |= without_caps else . end
else without_caps end
`;
}
