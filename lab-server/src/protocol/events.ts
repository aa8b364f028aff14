/**
 * Session events, pushed on the events WebSocket and listed by GET on the same route (docs/api.md
 * lists each type and its data). Types only: nothing here reaches the browser's bundle.
 */

export type SessionEventType =
  | 'session-ready'
  | 'node-added'
  | 'node-removed'
  | 'node-up'
  | 'node-down'
  | 'node-oom'
  | 'node-disk-full'
  | 'node-disk-warning'
  | 'node-disk-ok'
  | 'engine-down'
  | 'engine-restarted'
  | 'expiry-warning'
  | 'extended'
  | 'check'
  | 'session-ended';

export interface SessionEvent {
  id: number;
  at: number;
  /** One of SessionEventType; a client ignores types it does not know (newer labs add some). */
  type: SessionEventType | (string & {});
  data: Record<string, unknown>;
}

/** Why the disk watchdog stopped a node (`node-disk-full`). */
export type DiskStopReason = 'cap' | 'grace-ended' | 'ceiling';

/** `node-disk-full`: the disk watchdog stopped a node whose own files passed their cap. */
export interface NodeDiskFullData {
  node: string;
  reason: DiskStopReason;
  /** Measured once the node had stopped. */
  usedBytes: number;
  capBytes: number;
  /** What it may hold during the grace window of its next run. */
  ceilingBytes: number;
  message: string;
}

/** `node-disk-warning`: a node restarted over its cap runs in its grace window. */
export interface NodeDiskWarningData {
  node: string;
  usedBytes: number;
  capBytes: number;
  ceilingBytes: number;
  /** What to delete to get back under the cap. */
  freeBytes: number;
  /** When the node is stopped again if still over its cap (ms since the epoch). */
  graceEndsAt: number;
  /** The biggest files, biggest first, as paths inside the node. */
  largest: { path: string; bytes: number }[];
  message: string;
}

/** The data of a `check` session event: a check ran (clicked, or by the watcher when `watched`). */
export interface CheckEventData {
  lesson: string;
  exercise: string;
  passed: boolean;
  reason?: string;
  attempts?: number;
  watched?: boolean;
}
