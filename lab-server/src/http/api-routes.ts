import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodType } from 'zod';
import type { CheckRunner } from '../checks/check-runner.ts';
import type { CheckWatcher } from '../checks/check-watcher.ts';
import { EngineRecovering, InvalidRequest, LabStarting } from '../errors/catalog.ts';
import { LabError } from '../errors/lab-error.ts';
import { type PeerProxy, VIA_HEADER } from '../labs/peer-proxy.ts';
import {
  CheckRequest,
  type CheckResponse,
  CreateSessionRequest,
  ExecRequest,
  type ExecResponse,
  NodeName,
  type ProgressEntry,
  SessionId,
  type SessionView,
  WatchRequest,
  type WatchResponse,
} from '../protocol/api.ts';
import { ROUTES } from '../protocol/routes.ts';
import { TEMPLATES } from '../protocol/templates.ts';
import type { SessionEvents } from '../sessions/session-events.ts';
import { hashToken, newOwnerToken, type SessionManager } from '../sessions/session-manager.ts';
import type { LabStore, SessionRecord } from '../storage/lab-store.ts';
import { learnerToken, tokenCookie } from './auth.ts';
import { previewUrl } from './preview-urls.ts';

/** What the API needs once the lab is up; undefined while it starts. */
export interface LabRuntime {
  sessions: SessionManager;
  events: SessionEvents;
  checks: CheckRunner;
  watcher: CheckWatcher;
  store: LabStore;
  /** The other labs sharing the store, which answer for their own sessions. */
  peers?: PeerProxy;
}

export interface ApiOptions {
  runtime: () => LabRuntime | undefined;
  /** Why the runtime is not there yet (for the 503 answer). */
  startingDetail: () => string;
  previewDomain: string | undefined;
}

function parse<T>(schema: ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value ?? {});
  if (!result.success) {
    const problems = result.error.issues
      .map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message))
      .join('; ');
    throw new LabError(InvalidRequest, { problems });
  }
  return result.data;
}

/** The HTTP half of the API; the WebSocket half is in ws-router.ts. */
export async function apiRoutes(app: FastifyInstance, options: ApiOptions): Promise<void> {
  /** The runtime; while the engine recovers, only what needs no engine (events, progress) is served. */
  const runtime = (needsEngine = true): LabRuntime => {
    const r = options.runtime();
    if (!r) throw new LabError(LabStarting, { detail: options.startingDetail() });
    if (needsEngine && r.sessions.engineDown)
      throw new LabError(EngineRecovering, { detail: r.sessions.engineDown });
    return r;
  };

  /**
   * The session named in the URL, if the caller owns it. Actions count as activity for the idle
   * timeout; reads (a page polling its state) do not, or an abandoned tab would keep a sandbox forever.
   */
  const owned = (
    request: FastifyRequest,
    needsEngine = true,
  ): { record: SessionRecord; sessions: SessionManager } => {
    const params = request.params as { id: string };
    const id = parse(SessionId, params.id);
    const { sessions } = runtime(needsEngine);
    const record = sessions.get(id, learnerToken(request.raw));
    if (request.method !== 'GET') sessions.touch(id);
    return { record, sessions };
  };
  const nodeParam = (request: FastifyRequest) => parse(NodeName, (request.params as { node: string }).node);

  const view = async (
    request: FastifyRequest,
    sessions: SessionManager,
    record: SessionRecord,
  ): Promise<SessionView> => {
    const v = await sessions.view(record);
    for (const node of v.nodes) {
      for (const port of node.ports) {
        port.previewUrl = previewUrl(
          request.raw,
          { token: v.previewToken, node: node.name, port: port.port },
          options.previewDomain,
        );
      }
    }
    return v;
  };

  app.get(ROUTES.templates, async () =>
    Object.values(TEMPLATES).map((t) => ({
      name: t.name,
      description: t.description,
      nodes: t.nodes,
      swarm: Boolean(t.swarm),
    })),
  );

  app.post(ROUTES.sessions, async (request, reply) => {
    const body = parse(CreateSessionRequest, request.body);
    const { sessions } = runtime();
    let token = learnerToken(request.raw);
    if (!token) {
      token = newOwnerToken();
      reply.header('set-cookie', tokenCookie(token, request.protocol === 'https'));
    }
    const record = await sessions.create({
      template: body.template,
      ownerToken: token,
      clientAddress: request.ip,
    });
    const provisioning = sessions.provision(record.id);
    if (body.wait) await provisioning;
    else provisioning.catch((err) => request.log.warn({ err, session: record.id }, 'sandbox did not start'));
    return reply.status(201).send(await view(request, sessions, record));
  });

  app.get(ROUTES.sessions, async (request) => {
    const token = learnerToken(request.raw);
    const { sessions, peers } = runtime();
    if (!token) return [];
    const here = await Promise.all(sessions.ownedBy(token).map((r) => view(request, sessions, r)));
    // Labs sharing the store: the learner's sandboxes on the others too, whichever lab is asked.
    const elsewhere = request.headers[VIA_HEADER]
      ? []
      : ((await peers?.othersOf(hashToken(token), request.raw)) ?? []);
    return [...here, ...(elsewhere as SessionView[])];
  });

  app.get(ROUTES.session, async (request) => {
    const { record, sessions } = owned(request);
    return view(request, sessions, record);
  });

  app.delete(ROUTES.session, async (request, reply) => {
    const { record, sessions } = owned(request);
    await sessions.delete(record.id);
    return reply.status(204).send();
  });

  app.post(ROUTES.extend, async (request) => {
    const { record, sessions } = owned(request);
    await sessions.extend(record);
    return view(request, sessions, record);
  });

  app.post(ROUTES.nodes, async (request, reply) => {
    const { record, sessions } = owned(request);
    const node = await sessions.addNode(record);
    const v = await view(request, sessions, record);
    return reply.status(201).send(v.nodes.find((n) => n.name === node.name));
  });

  app.delete(ROUTES.node, async (request, reply) => {
    const { record, sessions } = owned(request);
    await sessions.removeNode(record, nodeParam(request));
    return reply.status(204).send();
  });

  const nodeAction =
    (action: 'restart' | 'kill') => async (request: FastifyRequest, _reply: FastifyReply) => {
      const { record, sessions } = owned(request);
      const name = nodeParam(request);
      if (action === 'restart') await sessions.restartNode(record, name);
      else await sessions.killNode(record, name);
      const v = await view(request, sessions, record);
      return v.nodes.find((n) => n.name === name);
    };
  app.post(ROUTES.restartNode, nodeAction('restart'));
  app.post(ROUTES.killNode, nodeAction('kill'));

  app.post(ROUTES.exec, async (request): Promise<ExecResponse> => {
    const { record, sessions } = owned(request);
    const name = nodeParam(request);
    const body = parse(ExecRequest, request.body);
    const argv = body.argv ?? ['sh', '-c', body.command as string];
    return sessions.exec(record, name, argv, { timeoutMs: body.timeoutMs, stdin: body.stdin });
  });

  app.get(ROUTES.events, async (request) => {
    const { record } = owned(request, false);
    const query = request.query as { after?: string };
    const after = query.after === undefined ? undefined : Number(query.after);
    if (after !== undefined && (!Number.isInteger(after) || after < 0)) {
      throw new LabError(InvalidRequest, { problems: 'after: a whole number' });
    }
    return runtime(false).events.history(record.id, after, 500);
  });

  app.post(ROUTES.checks, async (request): Promise<CheckResponse> => {
    const { record } = owned(request);
    const body = parse(CheckRequest, request.body);
    const { checks, store, events } = runtime();
    const outcome = await checks.run(record, body.lesson, body.exercise);
    const progress = await store.recordCheck({
      ownerHash: record.ownerHash,
      lesson: body.lesson,
      exercise: body.exercise,
      passed: outcome.passed,
      at: Date.now(),
    });
    await events.publish(record.id, 'check', {
      lesson: body.lesson,
      exercise: body.exercise,
      passed: outcome.passed,
    });
    return {
      lesson: body.lesson,
      exercise: body.exercise,
      passed: outcome.passed,
      reason: outcome.reason,
      attempts: progress.attempts,
      at: progress.at,
      durationMs: outcome.durationMs,
    };
  });

  app.post(ROUTES.watch, async (request): Promise<WatchResponse> => {
    const { record } = owned(request);
    const body = parse(WatchRequest, request.body);
    const { watcher } = runtime();
    if (body.lesson === null) {
      watcher.unwatch(record.id);
      return { lesson: null, exercises: [] };
    }
    return { lesson: body.lesson, exercises: await watcher.watch(record, body.lesson) };
  });

  app.get(ROUTES.progress, async (request): Promise<ProgressEntry[]> => {
    const token = learnerToken(request.raw);
    if (!token) return [];
    const progress = await runtime(false).store.listProgress(hashToken(token));
    return progress.map(({ lesson, exercise, passed, attempts, at }) => ({
      lesson,
      exercise,
      passed,
      attempts,
      at,
    }));
  });
}
