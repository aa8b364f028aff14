import { defineError } from './lab-error.ts';

// What the lab's HTTP and WebSocket front answers before a route runs (bodies, paths, origins,
// tokens), in the shape of the error catalog.

export const InternalError = defineError<Record<string, never>>({
  name: 'InternalError',
  title: 'The lab server failed',
  message: () => 'The lab server failed to answer this request; it has been logged.',
  hint: () => 'Try again; if it keeps failing, the lab server log says why.',
  status: 500,
  fr: {
    title: 'Le serveur du lab a échoué',
    message: () => 'Le serveur du lab n’a pas su répondre à cette requête ; l’erreur est dans son journal.',
    hint: () => 'Réessayez ; si cela échoue encore, le journal du serveur du lab dit pourquoi.',
  },
});

export const BodyTooLarge = defineError<{ limitKiB: number }>({
  name: 'BodyTooLarge',
  title: 'Request too large',
  message: ({ limitKiB }) => `The request body is too large: one request may carry at most ${limitKiB} KiB.`,
  hint: () => 'Split larger input (an exec’s standard input included) over several requests.',
  status: 413,
  fr: {
    title: 'Requête trop grande',
    message: ({ limitKiB }) =>
      `Le corps de la requête est trop grand : une requête porte au plus ${limitKiB} Kio.`,
    hint: () =>
      'Répartissez les grandes entrées (l’entrée standard d’un exec comprise) sur plusieurs requêtes.',
  },
});

export const BodyNotJson = defineError<Record<string, never>>({
  name: 'BodyNotJson',
  title: 'Request body is not JSON',
  message: () => 'The request body is not valid JSON.',
  hint: () => 'Send a JSON body with Content-Type: application/json; docs/api.md gives each format.',
  status: 400,
  fr: {
    title: 'Le corps de la requête n’est pas du JSON',
    message: () => 'Le corps de la requête n’est pas du JSON valide.',
    hint: () =>
      'Envoyez un corps JSON avec Content-Type: application/json ; docs/api.md donne chaque format.',
  },
});

export const RequestRefused = defineError<{ status: number; code: string }>({
  name: 'RequestRefused',
  title: 'Request refused',
  message: ({ status, code }) => `The lab server refused this request (HTTP ${status}, ${code}).`,
  hint: () => 'See docs/api.md for the request format.',
  status: 400,
  fr: {
    title: 'Requête refusée',
    message: ({ status, code }) => `Le serveur du lab a refusé cette requête (HTTP ${status}, ${code}).`,
    hint: () => 'Le format des requêtes est décrit dans docs/api.md.',
  },
});

export const AddressUnreadable = defineError<{ reason: 'encoding' | 'too-long' }>({
  name: 'AddressUnreadable',
  title: 'Address cannot be read',
  message: ({ reason }) =>
    reason === 'too-long'
      ? 'A part of this address is longer than any the lab uses (ids, node names and tabs are short).'
      : 'This address holds a badly encoded character (a % not followed by two hexadecimal digits).',
  hint: () => 'Use the addresses the lab gives (docs/api.md lists every route).',
  status: 400,
  fr: {
    title: 'Adresse illisible',
    message: ({ reason }) =>
      reason === 'too-long'
        ? 'Une partie de cette adresse est plus longue que toutes celles du lab (identifiants, nœuds et onglets sont courts).'
        : 'Cette adresse contient un caractère mal encodé (un % qui n’est pas suivi de deux chiffres hexadécimaux).',
    hint: () => 'Utilisez les adresses que donne le lab (docs/api.md liste chaque route).',
  },
});

export const RouteNotFound = defineError<{ method: string; path: string }>({
  name: 'NotFound',
  title: 'No such route',
  message: ({ method, path }) => `No API route ${method} ${path}.`,
  hint: () => 'docs/api.md lists every route.',
  status: 404,
  fr: {
    title: 'Route inconnue',
    message: ({ method, path }) => `Aucune route d’API ${method} ${path}.`,
    hint: () => 'docs/api.md liste toutes les routes.',
  },
});

export const OriginNotAllowed = defineError<{ origin: string }>({
  name: 'OriginNotAllowed',
  title: 'Page from another site',
  message: ({ origin }) => `The lab's API does not answer pages from ${origin}.`,
  hint: () => 'Open the lesson from the lab itself, or list that origin exactly in DOCKSIDE_ALLOWED_ORIGINS.',
  status: 403,
  fr: {
    title: 'Page d’un autre site',
    message: ({ origin }) => `L’API du lab ne répond pas aux pages de ${origin}.`,
    hint: () =>
      'Ouvrez la leçon depuis le lab lui-même, ou listez cette origine telle quelle dans DOCKSIDE_ALLOWED_ORIGINS.',
  },
});

export const MetricsUnauthorized = defineError<Record<string, never>>({
  name: 'Unauthorized',
  title: 'Metrics token needed',
  message: () => 'The metrics need the metrics token.',
  hint: () => 'Send DOCKSIDE_METRICS_TOKEN as a bearer token (Authorization: Bearer …).',
  status: 401,
  fr: {
    title: 'Jeton des métriques requis',
    message: () => 'Les métriques demandent le jeton des métriques.',
    hint: () => 'Envoyez DOCKSIDE_METRICS_TOKEN comme jeton porteur (Authorization: Bearer …).',
  },
});

export const MetricsLocalOnly = defineError<Record<string, never>>({
  name: 'Forbidden',
  title: 'Metrics for this machine only',
  message: () => 'Metrics are served to this machine only.',
  hint: () => 'Set DOCKSIDE_METRICS_TOKEN and send it as a bearer token to read them from elsewhere.',
  status: 403,
  fr: {
    title: 'Métriques pour cette machine seulement',
    message: () => 'Les métriques ne sont servies qu’à cette machine.',
    hint: () =>
      'Réglez DOCKSIDE_METRICS_TOKEN et envoyez-le comme jeton porteur pour les lire depuis ailleurs.',
  },
});

export const SocketNotFound = defineError<{ path: string }>({
  name: 'SocketNotFound',
  title: 'No such WebSocket',
  message: ({ path }) => `No WebSocket endpoint at ${path}.`,
  hint: () => 'Terminals and session events have theirs; docs/api.md gives both.',
  status: 404,
  fr: {
    title: 'WebSocket inconnu',
    message: ({ path }) => `Aucun point d’accès WebSocket à ${path}.`,
    hint: () => 'Les terminaux et les événements de session ont le leur ; docs/api.md donne les deux.',
  },
});

export const SocketOriginNotAllowed = defineError<Record<string, never>>({
  name: 'SocketOriginNotAllowed',
  title: 'Page from another site',
  message: () => "WebSockets are only accepted from the lab's own pages.",
  hint: () => 'Open the lesson from the lab itself, or list that origin exactly in DOCKSIDE_ALLOWED_ORIGINS.',
  status: 403,
  fr: {
    title: 'Page d’un autre site',
    message: () => 'Les WebSockets ne sont acceptés que depuis les pages du lab.',
    hint: () =>
      'Ouvrez la leçon depuis le lab lui-même, ou listez cette origine telle quelle dans DOCKSIDE_ALLOWED_ORIGINS.',
  },
});

export const InvalidSessionId = defineError<Record<string, never>>({
  name: 'InvalidSessionId',
  title: 'Not a session id',
  message: () => 'A session id is 32 hexadecimal characters.',
  hint: () => 'Use the id the lab gave when the sandbox was created (GET /api/sessions lists yours).',
  status: 400,
  fr: {
    title: 'Pas un identifiant de session',
    message: () => 'Un identifiant de session fait 32 caractères hexadécimaux.',
    hint: () =>
      'Utilisez l’identifiant donné par le lab à la création du bac à sable (GET /api/sessions liste les vôtres).',
  },
});

export const InvalidTabId = defineError<Record<string, never>>({
  name: 'InvalidTabId',
  title: 'Not a tab id',
  message: () => 'A terminal’s tab id is up to 64 letters, digits, - or _.',
  hint: () => 'Name the browser tab with letters and digits (?tab=main).',
  status: 400,
  fr: {
    title: 'Pas un identifiant d’onglet',
    message: () => 'L’identifiant d’onglet d’un terminal fait au plus 64 lettres, chiffres, - ou _.',
    hint: () => 'Nommez l’onglet du navigateur avec des lettres et des chiffres (?tab=main).',
  },
});

export const UpgradeFailed = defineError<Record<string, never>>({
  name: 'UpgradeFailed',
  title: 'The connection could not open',
  message: () => 'The lab server could not open this connection; it has been logged.',
  hint: () => 'Reload the page; if it keeps failing, the lab server log says why.',
  status: 500,
  fr: {
    title: 'La connexion n’a pas pu s’ouvrir',
    message: () => 'Le serveur du lab n’a pas pu ouvrir cette connexion ; l’erreur est dans son journal.',
    hint: () => 'Rechargez la page ; si cela échoue encore, le journal du serveur du lab dit pourquoi.',
  },
});
