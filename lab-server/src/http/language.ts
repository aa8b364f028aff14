import type { IncomingMessage } from 'node:http';
import { type Language, pickLanguage } from '../errors/lab-error.ts';

/**
 * The language a request is answered in: a `lang` query parameter (WebSockets, whose headers a
 * browser does not let a page set), else Accept-Language; English by default.
 */
export function requestLanguage(req: IncomingMessage): Language {
  const query = (req.url ?? '').split('?')[1];
  const lang = query ? new URLSearchParams(query).get('lang') : null;
  return pickLanguage(lang ?? req.headers['accept-language']);
}
