import type { IncomingMessage } from 'node:http';
import { TOKEN_COOKIE } from '../protocol/names.ts';

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
        // A malformed cookie is no token: the learner is anonymous.
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
