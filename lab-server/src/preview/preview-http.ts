import { TOKEN_COOKIE } from '../protocol/names.ts';
import type { ParsedPreview, PreviewTarget } from './preview-address.ts';

// What crosses the preview proxy: the headers it drops or rewrites, the lab's cookie it keeps from
// containers, the redirects it keeps inside the preview, and the page it answers when it refuses.

// RFC 9110 §7.6.1: meaningful for one connection only, never forwarded.
export const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
];
export const FORWARDED = ['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-prefix'];

export function first(value: string | string[] | undefined): string | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  return v?.split(',')[0]?.trim() || undefined;
}

/** Header names listed in a Connection header: hop-by-hop for this connection. */
export function connectionTokens(connection: string | string[] | undefined): string[] {
  return [connection ?? []]
    .flat()
    .flatMap((v) => v.split(','))
    .map((t) => t.trim().toLowerCase())
    .filter((t) => t !== '');
}

export function cookieName(pair: string): string {
  const eq = pair.indexOf('=');
  return (eq < 0 ? pair : pair.slice(0, eq)).trim();
}

/** A Cookie header without the lab's own secret, which a learner's server must never see. */
export function withoutLabCookie(cookie: string | undefined): string | undefined {
  if (!cookie) return undefined;
  const kept = cookie
    .split(';')
    .map((c) => c.trim())
    .filter((c) => c !== '' && cookieName(c) !== TOKEN_COOKIE);
  return kept.length > 0 ? kept.join('; ') : undefined;
}

/**
 * A redirect from the target, made to point at the preview: an absolute address naming the target (its
 * address, localhost, the node, or the host the browser used) becomes a path on the preview, and in
 * path form every path is put under the preview's mount. Anything else is left alone.
 */
export function rewriteLocation(
  location: string,
  parsed: Pick<ParsedPreview, 'ref' | 'via' | 'mount'>,
  target: PreviewTarget,
  requestHostname: string | undefined,
): string {
  const mounted = (path: string) =>
    parsed.via === 'path' &&
    path !== parsed.mount &&
    !path.startsWith(`${parsed.mount}/`) &&
    !path.startsWith(`${parsed.mount}?`)
      ? `${parsed.mount}${path}`
      : path;
  if (location.startsWith('/') && !location.startsWith('//')) return mounted(location);
  if (!/^([a-z][a-z0-9+.-]*:)?\/\//i.test(location)) return location; // Relative to the page: fine as is.
  let url: URL;
  try {
    url = new URL(location, 'http://unused.invalid');
  } catch {
    return location;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return location;
  const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  const targetNames = [target.host.toLowerCase(), 'localhost', '127.0.0.1', '[::1]', parsed.ref.node];
  const pointsAtTarget =
    url.hostname === requestHostname ||
    (targetNames.includes(url.hostname) && (port === parsed.ref.port || port === target.port));
  return pointsAtTarget ? mounted(`${url.pathname}${url.search}${url.hash}`) : location;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A short page for a refusal: HTML for browsers, plain text for curl and scripts. */
export function renderPage(
  err: { title: string; message: string; hint: string; lang?: string },
  accept: string | undefined,
): { type: string; body: string } {
  if (!accept?.includes('text/html')) {
    return { type: 'text/plain; charset=utf-8', body: `${err.title}\n${err.message}\n${err.hint}\n` };
  }
  const body =
    `<!doctype html>\n<html lang="${err.lang ?? 'en'}"><head><meta charset="utf-8">` +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    `<title>${escapeHtml(err.title)} · Dockside preview</title>` +
    '<style>body{font:1.05rem/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#222}' +
    'h1{font-size:1.4rem}</style></head>\n<body><main>' +
    `<h1>${escapeHtml(err.title)}</h1><p>${escapeHtml(err.message)}</p><p>${escapeHtml(err.hint)}</p>` +
    '</main></body></html>\n';
  return { type: 'text/html; charset=utf-8', body };
}
