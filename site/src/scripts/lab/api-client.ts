/**
 * The lab server's HTTP API as the browser uses it. Types come from the lab server's protocol module
 * (one source of truth); every failure becomes a LabApiError with the server's permanent error name,
 * its message and its hint, or a clear one when the server cannot be reached.
 */
import type {
  ApiError,
  CheckResponse,
  ExecResponse,
  NodeView,
  ProgressEntry,
  SessionView,
  WatchResponse,
} from '../../../../lab-server/src/protocol/api.ts';
import type { Health } from '../../../../lab-server/src/protocol/health.ts';
import { ROUTES, route } from '../../../../lab-server/src/protocol/routes.ts';
import { pageTranslator } from '../../utils/ui-strings.ts';

/** The page's language, which the lab answers in. */
export const pageLanguage = () => document.documentElement.lang || 'en';

/** The lab's API types, for the modules that use this client. */
export type * from '../../../../lab-server/src/protocol/api.ts';

export class LabApiError extends Error {
  /** HTTP status; 0 when the server could not be reached or did not answer in time. */
  readonly status: number;
  /** The server's permanent error name (SessionNotFound, TooManySessions, ...) or a local one. */
  readonly code: string;
  readonly hint: string | undefined;

  constructor(status: number, body: Partial<ApiError>, fallback: string) {
    super(body.message || fallback);
    this.name = 'LabApiError';
    this.status = status;
    this.code = body.error || (status === 0 ? 'LabUnreachable' : `Http${status}`);
    this.hint = body.hint;
  }
}

interface RequestOptions {
  body?: unknown;
  /** Give up after this long (the server's own deadlines are shorter for everything but exec). */
  timeoutMs?: number;
}

/**
 * fetch, with a read asked again after a failure that is not a timeout: a browser cancels requests in
 * flight when its machine's network changes (ERR_NETWORK_CHANGED), as when the lab runs on the same
 * machine and a sandbox's interfaces come and go. Only reads: an action may have been done already.
 */
async function fetchOnce(method: string, path: string, init: RequestInit): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fetch(path, init);
    } catch (err) {
      const timedOut = err instanceof DOMException && err.name === 'TimeoutError';
      if (method !== 'GET' || timedOut || attempt === 3) throw err;
      await new Promise((r) => setTimeout(r, 250 * attempt));
    }
  }
}

/** The lab's answer to a request: the response, and its body as JSON (undefined if empty or not JSON). */
interface Answer {
  response: Response;
  json: unknown;
}

/** Sends one request; a server that cannot be reached or does not answer in time is a LabApiError. */
async function send(method: string, path: string, options: RequestOptions): Promise<Answer> {
  let response: Response;
  try {
    response = await fetchOnce(method, path, {
      method,
      credentials: 'same-origin',
      cache: 'no-store',
      // Errors come back in the page's language (the lab's catalog has English and French).
      headers: {
        'accept-language': pageLanguage(),
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
    });
  } catch (err) {
    const timedOut = err instanceof DOMException && err.name === 'TimeoutError';
    const t = pageTranslator();
    throw new LabApiError(
      0,
      { error: timedOut ? 'LabTimeout' : 'LabUnreachable' },
      timedOut ? t('error.LabTimeout', { request: `${method} ${path}` }) : t('error.LabUnreachable'),
    );
  }
  const text = await response.text();
  try {
    return { response, json: text ? JSON.parse(text) : undefined };
  } catch {
    // Not JSON (a proxy's page): the status alone says what failed.
    return { response, json: undefined };
  }
}

/** An answer that is not the one asked for: the server's error if it sent one, else its status. */
function answerError(method: string, path: string, { response, json }: Answer): LabApiError {
  const fallback = pageTranslator()('error.HttpStatus', {
    status: response.status,
    request: `${method} ${path}`,
  });
  return new LabApiError(response.status, (json ?? {}) as Partial<ApiError>, fallback);
}

async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const answer = await send(method, path, options);
  if (!answer.response.ok) throw answerError(method, path, answer);
  return answer.json as T;
}

/** What GET /api/health reports. */
export type LabHealth = Health;

export const labApi = {
  /** /api/health answers 503 with the same JSON while the lab starts or after it failed. */
  async health(): Promise<LabHealth> {
    const answer = await send('GET', ROUTES.health, { timeoutMs: 8000 });
    const health = answer.json as LabHealth | undefined;
    if (health?.status) return health;
    throw answerError('GET', ROUTES.health, answer);
  },
  createSession: (template: string) =>
    request<SessionView>('POST', ROUTES.sessions, { body: { template, wait: false } }),
  getSession: (id: string) => request<SessionView>('GET', route('session', { id }), { timeoutMs: 15_000 }),
  listSessions: () => request<SessionView[]>('GET', ROUTES.sessions),
  deleteSession: (id: string) => request<void>('DELETE', route('session', { id }), { timeoutMs: 60_000 }),
  extend: (id: string) => request<SessionView>('POST', route('extend', { id })),
  addNode: (id: string) => request<NodeView>('POST', route('nodes', { id }), { timeoutMs: 120_000 }),
  restartNode: (id: string, name: string) =>
    request<NodeView>('POST', route('restartNode', { id, node: name }), { timeoutMs: 120_000 }),
  killNode: (id: string, name: string) => request<NodeView>('POST', route('killNode', { id, node: name })),
  exec: (id: string, name: string, body: { argv: string[]; stdin?: string; timeoutMs?: number }) =>
    request<ExecResponse>('POST', route('exec', { id, node: name }), {
      body,
      timeoutMs: (body.timeoutMs ?? 10_000) + 5000,
    }),
  check: (id: string, lesson: string, exercise: string) =>
    request<CheckResponse>('POST', route('checks', { id }), {
      body: { lesson, exercise },
      timeoutMs: 30_000,
    }),
  watch: (id: string, lesson: string | null) =>
    request<WatchResponse>('POST', route('watch', { id }), { body: { lesson } }),
  progress: () => request<ProgressEntry[]>('GET', ROUTES.progress, { timeoutMs: 8000 }),
};

/** ws:// or wss:// URL of a path on this origin. */
export function socketUrl(path: string): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}${path}`;
}
