import type { IncomingMessage } from 'node:http';

// Preview addresses: a port of a node of a session, named by host or by path (docs/api.md).

/** What a preview address names: a port of a node of the session the token belongs to. */
export interface PreviewRef {
  /** The session's preview token, lower case. */
  token: string;
  /** The node's name, lower case (`node1`). */
  node: string;
  /** 1 to 65535. */
  port: number;
}

/** Where a preview's traffic goes: the node's address on its session network. */
export interface PreviewTarget {
  host: string;
  port: number;
}

/** A request recognised as a preview request. */
export interface ParsedPreview {
  ref: PreviewRef;
  /** Path and query sent to the target (`/`, `/app/?x=1`). */
  path: string;
  /** `host`: named by `<port>-<node>-<token>.<domain>`; `path`: under the path prefix. */
  via: 'host' | 'path';
  /** Where the preview's root is on the lab: `''` by host, `/preview/<token>/<node>/<port>` by path. */
  mount: string;
  /** Set for `<prefix>/<token>/<node>/<port>` without its trailing slash: where to send the browser. */
  redirect?: string;
}

const HOST_LABEL = /^([1-9]\d{0,4})-([a-z][a-z0-9]{0,31})-([a-z0-9]{16,40})$/;
const TOKEN = /^[a-z0-9]{16,40}$/;
const NODE = /^[a-z][a-z0-9]{0,31}$/;
const PORT = /^[1-9]\d{0,4}$/;

/** A preview named by its host (`<port>-<node>-<token>.<domain>`), for any of the lab's domains. */
export function parsePreviewHost(
  req: Pick<IncomingMessage, 'headers' | 'url'>,
  domains: readonly string[],
): ParsedPreview | undefined {
  const hostname = hostnameOf(req.headers.host);
  if (!hostname) return undefined;
  for (const domain of domains) {
    if (!hostname.endsWith(`.${domain}`)) continue;
    const m = HOST_LABEL.exec(hostname.slice(0, -domain.length - 1));
    const port = Number(m?.[1]);
    if (!m?.[2] || !m[3] || port > 65_535) continue;
    return { ref: { token: m[3], node: m[2], port }, path: originForm(req.url), via: 'host', mount: '' };
  }
  return undefined;
}

/** A preview named by its path (`<prefix>/<token>/<node>/<port>/...`). */
export function parsePreviewPath(url: string, prefix: string): ParsedPreview | undefined {
  if (!url.startsWith(`${prefix}/`)) return undefined;
  const q = url.indexOf('?');
  const pathname = q < 0 ? url : url.slice(0, q);
  const query = q < 0 ? '' : url.slice(q);
  const [token, node, port, ...rest] = pathname.slice(prefix.length + 1).split('/');
  if (token === undefined || node === undefined || port === undefined) return undefined;
  const ref = { token: token.toLowerCase(), node: node.toLowerCase(), port: Number(port) };
  if (!TOKEN.test(ref.token) || !NODE.test(ref.node) || !PORT.test(port) || ref.port > 65_535) {
    return undefined;
  }
  const mount = `${prefix}/${token}/${node}/${port}`;
  if (rest.length === 0) return { ref, path: `/${query}`, via: 'path', mount, redirect: `${mount}/${query}` };
  return { ref, path: `/${rest.join('/')}${query}`, via: 'path', mount };
}

/** The host name of a Host header, lower case, without port or final dot. */
export function hostnameOf(host: string | undefined): string | undefined {
  if (!host) return undefined;
  const m = /^(\[[^\]]*\]|[^:]+)(?::\d*)?$/.exec(host.trim().toLowerCase());
  return m?.[1]?.replace(/\.$/, '');
}

/** A request target as a path: absolute-form (`http://host/x`) becomes `/x`. */
function originForm(url: string | undefined): string {
  if (!url) return '/';
  if (url.startsWith('/')) return url;
  try {
    const u = new URL(url);
    return `${u.pathname}${u.search}`;
  } catch {
    // Not an absolute URL: the root of the preview.
    return '/';
  }
}

export function describeAddress(parsed: ParsedPreview): string {
  return `port ${parsed.ref.port} of ${parsed.ref.node}`;
}
