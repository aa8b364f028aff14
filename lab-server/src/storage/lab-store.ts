/**
 * The lab's persistence: session records and their events. SQLite (embedded, the default) and
 * PostgreSQL (several lab-server instances) implement the same interface; both pass the same contract
 * tests (lab-store.contract.ts).
 */

export type SessionState = 'creating' | 'ready' | 'failed' | 'deleting';

export interface NodeRecord {
  /** The name learners see and the node's hostname: node1, node2, ... */
  name: string;
  /** Docker container id on the lab engine. */
  containerId: string;
  /** Swarm role when the template forms a Swarm. */
  role: 'manager' | 'worker' | 'none';
}

export interface SessionRecord {
  /** Public id (lower-case hex), used in container names and URLs. Not a secret. */
  id: string;
  /** The lab that made it and runs its sandbox (labs sharing a database answer for each other). */
  labId: string;
  /** SHA-256 (hex) of the owner's secret token; the token itself is never stored. */
  ownerHash: string;
  /** Secret, unguessable token that names this session in preview host names. */
  previewToken: string;
  template: string;
  state: SessionState;
  /** Docker network id of the session's private network. */
  networkId: string;
  nodes: NodeRecord[];
  /** Milliseconds since the epoch. */
  createdAt: number;
  lastActiveAt: number;
  /** The hard end: createdAt + maximum age, pushed back by extend. */
  expiresAt: number;
  /** Client address that created it (for per-address limits and the instructor view). */
  clientAddress: string;
}

export interface LabEvent {
  /** Increasing id per store (assigned by the store). */
  id: number;
  sessionId: string;
  /** Milliseconds since the epoch. */
  at: number;
  type: string;
  /** JSON-serialisable details. */
  data: Record<string, unknown>;
}

/** A learner's latest result on one exercise, across all their sessions. */
export interface ProgressRecord {
  ownerHash: string;
  lesson: string;
  exercise: string;
  passed: boolean;
  /** Every check counts, passed or not. */
  attempts: number;
  /** When the latest check ran (milliseconds since the epoch). */
  at: number;
  /** When it first passed, if it has. */
  passedAt: number | null;
}

/** A lab server sharing the store: who holds its id, and where the others reach it. */
export interface LabRecord {
  /** The lab's id, kept in its state directory. */
  id: string;
  /** A token of the process holding the id's lease; a second process with the same id is refused. */
  holder: string;
  /** Where the other labs reach it (its own address, not the public one): http://10.0.0.5:4000. */
  address: string;
  /** The address people use (DOCKSIDE_PUBLIC_URL), or ''. */
  publicUrl: string;
  /** Milliseconds since the epoch. */
  startedAt: number;
  heartbeatAt: number;
  /** The lease runs until then; a lab that stopped sets it to 0, one that died lets it run out. */
  leaseUntil: number;
}

export interface LabStore {
  /** Inserts or replaces the record with this id. */
  saveSession(session: SessionRecord): Promise<void>;
  getSession(id: string): Promise<SessionRecord | undefined>;
  /** The session whose previews this token names (preview host names carry it). */
  getSessionByPreviewToken(token: string): Promise<SessionRecord | undefined>;
  /** Every session, or those of one lab, or of one learner. */
  listSessions(filter?: { labId?: string; ownerHash?: string }): Promise<SessionRecord[]>;
  /** Gives sessions stored before labs had ids to `labId` (once: they then belong to it); how many. */
  adoptUnownedSessions(labId: string): Promise<number>;
  /**
   * Takes or renews the lease on `lab.id` for `lab.holder`, until `lab.leaseUntil`: refused while
   * another holder's lease runs (then the lab record that holds it), granted once it has run out, or
   * at once when that holder is `replacing` (one known to be dead).
   */
  claimLab(
    lab: LabRecord,
    options?: { replacing?: string },
  ): Promise<{ claimed: true } | { claimed: false; holder: LabRecord }>;
  /** Ends `holder`'s lease on lab `id` at once (a clean stop); the record stays, listed as down. */
  releaseLab(id: string, holder: string): Promise<void>;
  /** Every lab that has used this store, up or down. */
  listLabs(): Promise<LabRecord[]>;
  /** Removes the session and its events. Removing an unknown id is not an error. */
  deleteSession(id: string): Promise<void>;
  /** Stores an event and returns it with its id. */
  appendEvent(event: Omit<LabEvent, 'id'>): Promise<LabEvent>;
  /** Events of a session in id order, after `afterId` when given, at most `limit` (default 100). */
  listEvents(sessionId: string, options?: { afterId?: number; limit?: number }): Promise<LabEvent[]>;
  /**
   * Records one check result for a learner and returns the updated progress (attempts incremented;
   * `passed` is the latest result; `passedAt` keeps the first pass).
   */
  recordCheck(result: {
    ownerHash: string;
    lesson: string;
    exercise: string;
    passed: boolean;
    at: number;
  }): Promise<ProgressRecord>;
  /** The learner's progress on every exercise they have checked. */
  listProgress(ownerHash: string): Promise<ProgressRecord[]>;
  /** Closes connections and flushes to disk. */
  dispose(): Promise<void>;
}
