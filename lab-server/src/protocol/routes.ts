/**
 * Every route of the lab server, HTTP and WebSocket, written once: the server registers these patterns
 * and the browser, tests and tools fill them in. docs/api.md describes each.
 */
export const ROUTES = {
  health: '/api/health',
  templates: '/api/templates',
  sessions: '/api/sessions',
  session: '/api/sessions/:id',
  extend: '/api/sessions/:id/extend',
  nodes: '/api/sessions/:id/nodes',
  node: '/api/sessions/:id/nodes/:node',
  restartNode: '/api/sessions/:id/nodes/:node/restart',
  killNode: '/api/sessions/:id/nodes/:node/kill',
  exec: '/api/sessions/:id/nodes/:node/exec',
  /** GET: the stored events; WebSocket: those, then each new one. */
  events: '/api/sessions/:id/events',
  /** WebSocket: a shell on the node (protocol/terminal-frames.ts). */
  terminal: '/api/sessions/:id/nodes/:node/terminal',
  checks: '/api/sessions/:id/checks',
  watch: '/api/sessions/:id/watch',
  progress: '/api/progress',
  metrics: '/metrics',
} as const;

export type RouteName = keyof typeof ROUTES;

/** The `:name` parameters of a route pattern, as a union of names. */
type Params<P extends string> = P extends `${string}:${infer Name}/${infer Rest}`
  ? Name | Params<Rest>
  : P extends `${string}:${infer Name}`
    ? Name
    : never;

/** A route with its parameters filled in (encoded), and a query string when given. */
export function route<R extends RouteName>(
  name: R,
  params: Record<Params<(typeof ROUTES)[R]>, string>,
  query?: Record<string, string | number>,
): string {
  const path = ROUTES[name].replace(/:([a-z]+)/g, (_, key: string) =>
    encodeURIComponent((params as Record<string, string>)[key] ?? ''),
  );
  const q = query
    ? new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)])).toString()
    : '';
  return q ? `${path}?${q}` : path;
}

/** The parameters of `pathname` if it is an instance of the route, else undefined. */
export function matchRoute<R extends RouteName>(
  name: R,
  pathname: string,
): Record<Params<(typeof ROUTES)[R]>, string> | undefined {
  const keys: string[] = [];
  const pattern = ROUTES[name].replace(/:([a-z]+)/g, (_, key: string) => {
    keys.push(key);
    return '([^/]+)';
  });
  const m = new RegExp(`^${pattern}$`).exec(pathname);
  if (!m) return undefined;
  const params: Record<string, string> = {};
  for (const [i, key] of keys.entries()) {
    try {
      params[key] = decodeURIComponent(m[i + 1] ?? '');
    } catch {
      return undefined; // Malformed percent-encoding: not a path of this route.
    }
  }
  return params as Record<Params<(typeof ROUTES)[R]>, string>;
}
