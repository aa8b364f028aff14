import type { IncomingMessage } from 'node:http';

export const TOKEN_COOKIE = 'dockside_token';

/** Reads one cookie from a Cookie header (no dependency needed for this much). */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** The learner's secret: the HttpOnly cookie browsers send, or a bearer token from API clients. */
export function learnerToken(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice('Bearer '.length).trim() || undefined;
  return readCookie(req.headers.cookie, TOKEN_COOKIE);
}

export function tokenCookie(token: string, secure: boolean): string {
  return `${TOKEN_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${60 * 60 * 24 * 30}${secure ? '; Secure' : ''}`;
}

/**
 * A WebSocket may only be opened by the lab's own pages: its Origin must name the host the request
 * came to. Preview pages live on other hosts (subdomains), so they cannot reach terminals.
 */
export function sameOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (!origin) return true; // Not a browser (curl, the bench, tests): nothing to forge.
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}
