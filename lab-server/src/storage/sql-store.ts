import type { LabEvent, LabRecord, LabStore, ProgressRecord, SessionRecord } from './lab-store.ts';
import {
  eventPage,
  LAB_COLUMNS,
  labValues,
  SESSION_COLUMNS,
  SESSION_UPDATES,
  sessionValues,
  toEvent,
  toLab,
  toProgress,
  toSession,
  updatesOf,
} from './rows.ts';
import type { SqlDriver } from './sql-driver.ts';

// A PostgreSQL advisory lock key ('devt' in ASCII), held to the end of a transaction.
const EVENT_LOCK = 0x64657674;

const placeholders = (n: number) => Array.from({ length: n }, () => '?').join(', ');

/**
 * The lab's store on a SQL database: every query written once, run by a driver (SQLite embedded, or
 * PostgreSQL shared by several labs). Every method is one statement or one transaction, so concurrent
 * calls from any number of processes are safe.
 */
export class SqlStore implements LabStore {
  readonly #db: SqlDriver;
  readonly #t: (name: Parameters<SqlDriver['table']>[0]) => string;

  constructor(driver: SqlDriver) {
    this.#db = driver;
    this.#t = (name) => driver.table(name);
  }

  async saveSession(s: SessionRecord): Promise<void> {
    // An upsert, not SQLite's INSERT OR REPLACE: that would silently delete another session holding the
    // same preview token, where PostgreSQL refuses.
    const values = sessionValues(s);
    await this.#db.run(
      `INSERT INTO ${this.#t('sessions')} (${SESSION_COLUMNS}) VALUES (${placeholders(values.length)})
       ON CONFLICT (id) DO UPDATE SET ${SESSION_UPDATES}`,
      values,
    );
  }

  async getSession(id: string): Promise<SessionRecord | undefined> {
    const [row] = await this.#db.all(`SELECT * FROM ${this.#t('sessions')} WHERE id = ?`, [id]);
    return row ? toSession(row) : undefined;
  }

  async getSessionByPreviewToken(token: string): Promise<SessionRecord | undefined> {
    const [row] = await this.#db.all(`SELECT * FROM ${this.#t('sessions')} WHERE preview_token = ?`, [token]);
    return row ? toSession(row) : undefined;
  }

  async listSessions(filter: { labId?: string; ownerHash?: string } = {}): Promise<SessionRecord[]> {
    const where: string[] = [];
    const values: string[] = [];
    if (filter.labId !== undefined) {
      where.push('lab_id = ?');
      values.push(filter.labId);
    }
    if (filter.ownerHash !== undefined) {
      where.push('owner_hash = ?');
      values.push(filter.ownerHash);
    }
    const rows = await this.#db.all(
      `SELECT * FROM ${this.#t('sessions')} ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY created_at, id`,
      values,
    );
    return rows.map(toSession);
  }

  async adoptUnownedSessions(labId: string): Promise<number> {
    return this.#db.run(`UPDATE ${this.#t('sessions')} SET lab_id = ? WHERE lab_id = ''`, [labId]);
  }

  async deleteSession(id: string): Promise<void> {
    await this.#db.transaction(async (tx) => {
      await tx.run(`DELETE FROM ${this.#t('events')} WHERE session_id = ?`, [id]);
      await tx.run(`DELETE FROM ${this.#t('sessions')} WHERE id = ?`, [id]);
    });
  }

  async appendEvent(event: Omit<LabEvent, 'id'>): Promise<LabEvent> {
    const values = [event.sessionId, event.at, event.type, JSON.stringify(event.data)];
    const insert = `INSERT INTO ${this.#t('events')} (session_id, at, type, data)`;
    // SQLite's AUTOINCREMENT never hands out the id of a deleted event again, and its writes take turns,
    // so ids come in commit order. A PostgreSQL sequence hands out ids as rows are inserted, but
    // concurrent transactions may commit in another order, and a reader paging by afterId could pass
    // over an id that commits a moment later: a lock taken before the id is drawn, and kept until
    // commit, makes commit order id order.
    const [row] =
      this.#db.dialect === 'postgres'
        ? await this.#db.all(
            `WITH turn AS (SELECT pg_advisory_xact_lock(${EVENT_LOCK}))
             ${insert} SELECT ?, ?, ?, ?::jsonb FROM turn RETURNING id`,
            values,
          )
        : await this.#db.all(`${insert} VALUES (?, ?, ?, ?) RETURNING id`, values);
    return { ...event, id: Number(row?.id) };
  }

  async listEvents(sessionId: string, options?: { afterId?: number; limit?: number }): Promise<LabEvent[]> {
    const { afterId, limit } = eventPage(options);
    const rows = await this.#db.all(
      `SELECT * FROM ${this.#t('events')} WHERE session_id = ? AND id > ? ORDER BY id LIMIT ?`,
      [sessionId, afterId, limit],
    );
    return rows.map(toEvent);
  }

  async recordCheck(r: {
    ownerHash: string;
    lesson: string;
    exercise: string;
    passed: boolean;
    at: number;
  }): Promise<ProgressRecord> {
    const progress = this.#t('progress');
    const [row] = await this.#db.all(
      `INSERT INTO ${progress} (owner_hash, lesson, exercise, passed, attempts, at, passed_at)
       VALUES (?, ?, ?, ?, 1, ?, ?)
       ON CONFLICT (owner_hash, lesson, exercise) DO UPDATE SET
         passed = excluded.passed, attempts = ${progress}.attempts + 1, at = excluded.at,
         passed_at = COALESCE(${progress}.passed_at, excluded.passed_at)
       RETURNING *`,
      [r.ownerHash, r.lesson, r.exercise, r.passed, r.at, r.passed ? r.at : null],
    );
    return toProgress(row ?? {});
  }

  async listProgress(ownerHash: string): Promise<ProgressRecord[]> {
    const rows = await this.#db.all(
      `SELECT * FROM ${this.#t('progress')} WHERE owner_hash = ? ORDER BY lesson, exercise`,
      [ownerHash],
    );
    return rows.map(toProgress);
  }

  async claimLab(
    lab: LabRecord,
    options: { replacing?: string } = {},
  ): Promise<{ claimed: true } | { claimed: false; holder: LabRecord }> {
    const labs = this.#t('labs');
    // One statement: the row is written only when this holder has it already or the lease ran out, so
    // two processes claiming together cannot both win. A renewal keeps the first start time.
    const [won] = await this.#db.all(
      `INSERT INTO ${labs} (${LAB_COLUMNS}) VALUES (${placeholders(7)})
       ON CONFLICT (id) DO UPDATE SET ${updatesOf(LAB_COLUMNS.replace(', started_at', ''))},
         started_at = CASE WHEN ${labs}.holder = excluded.holder THEN ${labs}.started_at ELSE excluded.started_at END
       WHERE ${labs}.holder = excluded.holder OR ${labs}.lease_until < excluded.heartbeat_at
         OR ${labs}.holder = ?
       RETURNING id`,
      [...labValues(lab), options.replacing ?? lab.holder],
    );
    if (won) return { claimed: true };
    const [row] = await this.#db.all(`SELECT * FROM ${labs} WHERE id = ?`, [lab.id]);
    // Gone between the two statements (an operator deleted it): claim again, which now inserts.
    return row ? { claimed: false, holder: toLab(row) } : this.claimLab(lab, options);
  }

  async releaseLab(id: string, holder: string): Promise<void> {
    await this.#db.run(`UPDATE ${this.#t('labs')} SET lease_until = 0 WHERE id = ? AND holder = ?`, [
      id,
      holder,
    ]);
  }

  async listLabs(): Promise<LabRecord[]> {
    return (await this.#db.all(`SELECT * FROM ${this.#t('labs')} ORDER BY id`)).map(toLab);
  }

  /** Closes the database (flushing what it holds). Safe to call twice. */
  async dispose(): Promise<void> {
    await this.#db.dispose();
  }
}
