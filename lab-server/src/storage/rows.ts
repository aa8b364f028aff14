import type { LabEvent, LabRecord, NodeRecord, ProgressRecord, SessionRecord } from './lab-store.ts';

/**
 * Row mapping shared by the SQL stores: both use the same column names, in the same order, and keep
 * nodes and event data as JSON text (SQLite) or JSONB (PostgreSQL, which the driver hands back parsed;
 * it also hands back BIGINT as a string, hence Number()).
 */
export const SESSION_COLUMNS =
  'id, owner_hash, preview_token, template, state, network_id, nodes, created_at, last_active_at, expires_at, client_address, lab_id';

export const SESSION_UPDATES = updatesOf(SESSION_COLUMNS);

/** The SET clause of an upsert on id: every column but the id takes the new value. */
export function updatesOf(columns: string): string {
  return columns
    .split(', ')
    .filter((column) => column !== 'id')
    .map((column) => `${column} = excluded.${column}`)
    .join(', ');
}

export function sessionValues(s: SessionRecord): (string | number)[] {
  return [
    s.id,
    s.ownerHash,
    s.previewToken,
    s.template,
    s.state,
    s.networkId,
    JSON.stringify(s.nodes),
    s.createdAt,
    s.lastActiveAt,
    s.expiresAt,
    s.clientAddress,
    s.labId,
  ];
}

type Row = Record<string, unknown>;

export function toSession(r: Row): SessionRecord {
  return {
    id: r.id as string,
    ownerHash: r.owner_hash as string,
    previewToken: r.preview_token as string,
    template: r.template as string,
    state: r.state as SessionRecord['state'],
    networkId: r.network_id as string,
    nodes: (typeof r.nodes === 'string' ? JSON.parse(r.nodes) : r.nodes) as NodeRecord[],
    createdAt: Number(r.created_at),
    lastActiveAt: Number(r.last_active_at),
    expiresAt: Number(r.expires_at),
    clientAddress: r.client_address as string,
    labId: r.lab_id as string,
  };
}

export const LAB_COLUMNS = 'id, holder, address, public_url, started_at, heartbeat_at, lease_until';

export function labValues(l: LabRecord): (string | number)[] {
  return [l.id, l.holder, l.address, l.publicUrl, l.startedAt, l.heartbeatAt, l.leaseUntil];
}

export function toLab(r: Row): LabRecord {
  return {
    id: r.id as string,
    holder: r.holder as string,
    address: r.address as string,
    publicUrl: r.public_url as string,
    startedAt: Number(r.started_at),
    heartbeatAt: Number(r.heartbeat_at),
    leaseUntil: Number(r.lease_until),
  };
}

export function toProgress(r: Row): ProgressRecord {
  return {
    ownerHash: r.owner_hash as string,
    lesson: r.lesson as string,
    exercise: r.exercise as string,
    passed: r.passed === true || r.passed === 1,
    attempts: Number(r.attempts),
    at: Number(r.at),
    passedAt: r.passed_at === null || r.passed_at === undefined ? null : Number(r.passed_at),
  };
}

export function toEvent(r: Row): LabEvent {
  return {
    id: Number(r.id),
    sessionId: r.session_id as string,
    at: Number(r.at),
    type: r.type as string,
    data: (typeof r.data === 'string' ? JSON.parse(r.data) : r.data) as Record<string, unknown>,
  };
}

/** The default page of listEvents. */
export const DEFAULT_EVENT_LIMIT = 100;

/** listEvents options as whole numbers both databases accept (a negative LIMIT means none in SQLite). */
export function eventPage(options: { afterId?: number; limit?: number } = {}): {
  afterId: number;
  limit: number;
} {
  const whole = (n: number | undefined, fallback: number) =>
    n !== undefined && Number.isFinite(n) ? Math.max(0, Math.trunc(n)) : fallback;
  return { afterId: whole(options.afterId, 0), limit: whole(options.limit, DEFAULT_EVENT_LIMIT) };
}
