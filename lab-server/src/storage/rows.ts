import type { LabEvent, LabRecord, ProgressRecord, SessionRecord } from './lab-store.ts';

/**
 * Row mapping shared by the SQL stores: one table of fields per record, in column order. Both
 * databases use the same column names (the field's name in snake case) and keep JSON as text (SQLite)
 * or JSONB (PostgreSQL, whose driver hands it back parsed, and BIGINT as a string, hence Number()).
 */
type Kind = 'text' | 'number' | 'json' | 'bool' | 'number|null';
type Row = Record<string, unknown>;

const READ: Record<Kind, (v: unknown) => unknown> = {
  text: (v) => v as string,
  number: (v) => Number(v),
  json: (v) => (typeof v === 'string' ? JSON.parse(v) : v),
  bool: (v) => v === true || v === 1,
  'number|null': (v) => (v === null || v === undefined ? null : Number(v)),
};

const column = (field: string) => field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** A record's columns (`id, owner_hash, ...`), its values for an INSERT in that order, and its reader. */
function table<T>(fields: { [K in keyof T]: Kind }) {
  const entries = Object.entries(fields) as [keyof T & string, Kind][];
  return {
    columns: entries.map(([f]) => column(f)).join(', '),
    values: (record: T): (string | number | boolean | null)[] =>
      entries.map(([f, kind]) => {
        const v = record[f] as unknown;
        return kind === 'json' ? JSON.stringify(v) : (v as string | number | boolean | null);
      }),
    read: (row: Row): T =>
      Object.fromEntries(entries.map(([f, kind]) => [f, READ[kind](row[column(f)])])) as T,
  };
}

const sessions = table<SessionRecord>({
  id: 'text',
  ownerHash: 'text',
  previewToken: 'text',
  template: 'text',
  state: 'text',
  networkId: 'text',
  nodes: 'json',
  createdAt: 'number',
  lastActiveAt: 'number',
  expiresAt: 'number',
  clientAddress: 'text',
  labId: 'text',
});
const labs = table<LabRecord>({
  id: 'text',
  holder: 'text',
  address: 'text',
  publicUrl: 'text',
  startedAt: 'number',
  heartbeatAt: 'number',
  leaseUntil: 'number',
});
const progress = table<ProgressRecord>({
  ownerHash: 'text',
  lesson: 'text',
  exercise: 'text',
  passed: 'bool',
  attempts: 'number',
  at: 'number',
  passedAt: 'number|null',
});
const events = table<LabEvent>({ id: 'number', sessionId: 'text', at: 'number', type: 'text', data: 'json' });

export const SESSION_COLUMNS = sessions.columns;
export const sessionValues = sessions.values;
export const toSession = sessions.read;
export const LAB_COLUMNS = labs.columns;
export const labValues = labs.values;
export const toLab = labs.read;
export const toProgress = progress.read;
export const toEvent = events.read;

export const SESSION_UPDATES = updatesOf(SESSION_COLUMNS);

/** The SET clause of an upsert on id: every column but the id takes the new value. */
export function updatesOf(columns: string): string {
  return columns
    .split(', ')
    .filter((c) => c !== 'id')
    .map((c) => `${c} = excluded.${c}`)
    .join(', ');
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
