import type { DownReason } from '../errors/catalog.ts';
import type { SessionRecord } from '../storage/lab-store.ts';
import { waitFor } from '../util/wait-for.ts';
import { diskOkMessage, diskStopMessage, diskWarningMessage } from './disk-messages.ts';
import type { DiskWatchdogHooks, WatchedNode } from './disk-watchdog.ts';
import type { NodeStops } from './node-stops.ts';
import type { NodeStatus } from './provisioner.ts';
import type { SessionEvents } from './session-events.ts';

/**
 * What the disk watchdog (disk-watchdog.ts) does to a session's nodes: it stops a node whose own files
 * pass their cap and tells the learner why; after a restart it warns how much to free, where, and by
 * when; and says when the node is back under its cap. A node whose session has gone meanwhile is left.
 */
export function sessionDiskHooks(deps: {
  session: (sessionId: string) => SessionRecord | undefined;
  kill: (record: SessionRecord, node: string, reason: DownReason) => Promise<void>;
  status: (containerId: string) => Promise<NodeStatus | undefined>;
  stops: NodeStops;
  events: SessionEvents;
}): DiskWatchdogHooks {
  const sessionOf = (target: WatchedNode) => deps.session(target.sessionId);
  const tell = async (target: WatchedNode, type: string, data: object, message: string) => {
    const record = sessionOf(target);
    if (record) await deps.events.publish(record.id, type, { node: target.node, ...data, message });
  };
  return {
    stop: async (target, reason) => {
      const record = sessionOf(target);
      if (!record) return;
      await deps.kill(record, target.node, { kind: 'disk', stop: reason });
      // Signalled is not stopped: the watchdog measures once nothing in the node can write.
      await waitFor(async () => !(await deps.status(target.containerId))?.running, {
        timeoutMs: 15_000,
        intervalMs: 100,
        what: `${target.node} to stop`,
      });
    },
    stopped: async (target, found) => {
      if (!sessionOf(target)) return;
      const { reason, usedBytes, capBytes } = found;
      deps.stops.explain(target.containerId, { kind: 'disk', stop: reason, usedBytes, capBytes });
      await tell(target, 'node-disk-full', found, diskStopMessage(target.node, found));
    },
    warn: (target, warning) =>
      tell(target, 'node-disk-warning', warning, diskWarningMessage(target.node, warning)),
    recovered: (target, found) => tell(target, 'node-disk-ok', found, diskOkMessage(target.node, found)),
  };
}
