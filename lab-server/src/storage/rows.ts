import type { NodeRecord, ProgressRecord, SessionRecord } from './lab-store.ts';

/**
 * Row mapping shared by the SQL stores: both use the same column names, in the same order, and keep
 * nodes as JSON text (SQLite) or JSONB (PostgreSQL, which the driver hands back parsed).
 */
export const SESSION_COLUMNS =
  'id, owner_hash, preview_token, template, state, network_id, nodes, created_at, last_active_at, expires_at, client_address';

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
