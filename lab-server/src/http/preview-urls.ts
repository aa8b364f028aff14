import type { IncomingMessage } from 'node:http';

/**
 * The address a browser opens a node's port at: `http://<port>-<node>-<token>.localhost:<port>/` when
 * the lab is reached as localhost (browsers resolve *.localhost to loopback), a configured wildcard
 * domain otherwise, and the path form as the fallback.
 */
export function previewUrl(
  req: IncomingMessage,
  ref: { token: string; node: string; port: number },
  previewDomain: string | undefined,
): string {
  const host = req.headers.host ?? 'localhost';
  const [hostname, labPort] = splitHost(host);
  const scheme = (req.headers['x-forwarded-proto'] as string | undefined) ?? 'http';
  const label = `${ref.port}-${ref.node}-${ref.token}`;
  const portSuffix = labPort ? `:${labPort}` : '';
  if (previewDomain) return `${scheme}://${label}.${previewDomain}${portSuffix}/`;
  if (
    hostname === 'localhost' ||
    hostname.endsWith('.localhost') ||
    hostname === '127.0.0.1' ||
    hostname === '[::1]'
  ) {
    return `${scheme}://${label}.localhost${portSuffix}/`;
  }
  return `${scheme}://${host}/preview/${ref.token}/${ref.node}/${ref.port}/`;
}

function splitHost(host: string): [string, string | undefined] {
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(host);
  return m ? [m[1]?.toLowerCase() ?? host, m[2]] : [host, undefined];
}
