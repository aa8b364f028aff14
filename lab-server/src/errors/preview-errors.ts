import { defineError } from './lab-error.ts';

// The preview proxy's refusals, in the shape of the error catalog (errors/catalog.ts): a learner sees
// them as a page in the tab where the preview was meant to be, so each says what to do next.

interface Where {
  node: string;
  port: number;
}

export const PreviewAddressInvalid = defineError<{ address: string }>({
  name: 'PreviewAddressInvalid',
  title: 'Not a preview address',
  message: ({ address }) =>
    `${address} is not a preview address: one reads /preview/<token>/<node>/<port>/, with the session's token, a node such as node1 and a port from 1 to 65535.`,
  hint: () => 'Open the preview from the lesson page, which lists each published port with its address.',
  status: 404,
  fr: {
    title: 'Pas une adresse d’aperçu',
    message: ({ address }) =>
      `${address} n’est pas une adresse d’aperçu : elle s’écrit /preview/<jeton>/<nœud>/<port>/, avec le jeton de la session, un nœud comme node1 et un port de 1 à 65535.`,
    hint: () => 'Ouvrez l’aperçu depuis la page de la leçon, qui liste chaque port publié avec son adresse.',
  },
});

export const PreviewNotFound = defineError<{ address: string }>({
  name: 'PreviewNotFound',
  title: 'No such preview',
  message: ({ address }) =>
    `This preview (${address}) does not exist: its session has ended, or that node is not part of it.`,
  hint: () => 'Open the preview again from the lesson page, which lists the current addresses.',
  status: 404,
  fr: {
    title: 'Aperçu inconnu',
    message: ({ address }) =>
      `Cet aperçu (${address}) n’existe pas : sa session est finie, ou ce nœud n’en fait pas partie.`,
    hint: () => 'Rouvrez l’aperçu depuis la page de la leçon, qui liste les adresses actuelles.',
  },
});

export const PreviewNothingListening = defineError<Where>({
  name: 'PreviewNothingListening',
  title: 'Nothing is listening there yet',
  message: ({ node, port }) => `Nothing is listening on port ${port} of ${node} yet.`,
  hint: ({ port }) =>
    `Start a server there (for example docker run -d -p ${port}:80 nginx), then reload this page.`,
  status: 502,
  fr: {
    title: 'Rien n’écoute encore ici',
    message: ({ node, port }) => `Rien n’écoute encore sur le port ${port} de ${node}.`,
    hint: ({ port }) =>
      `Démarrez-y un serveur (par exemple docker run -d -p ${port}:80 nginx), puis rechargez cette page.`,
  },
});

export const PreviewNotHttp = defineError<Where>({
  name: 'PreviewNotHttp',
  title: 'Not a web server',
  message: ({ node, port }) => `The program on port ${port} of ${node} did not answer in HTTP.`,
  hint: () => 'A preview shows web servers; talk to other programs from a terminal instead.',
  status: 502,
  fr: {
    title: 'Pas un serveur web',
    message: ({ node, port }) => `Le programme sur le port ${port} de ${node} n’a pas répondu en HTTP.`,
    hint: () => 'Un aperçu montre des serveurs web ; parlez aux autres programmes depuis un terminal.',
  },
});

export const PreviewConnectionClosed = defineError<Where>({
  name: 'PreviewConnectionClosed',
  title: 'The server hung up',
  message: ({ node, port }) =>
    `The server on port ${port} of ${node} closed the connection without answering.`,
  hint: () => 'It may have crashed or be restarting: look at its logs (docker logs <container>) and reload.',
  status: 502,
  fr: {
    title: 'Le serveur a raccroché',
    message: ({ node, port }) =>
      `Le serveur sur le port ${port} de ${node} a fermé la connexion sans répondre.`,
    hint: () =>
      'Il a peut-être planté ou redémarre : lisez ses journaux (docker logs <conteneur>) et rechargez.',
  },
});

export const PreviewUnreachable = defineError<Where & { reason: string }>({
  name: 'PreviewUnreachable',
  title: 'The node cannot be reached',
  message: ({ node, port, reason }) => `Port ${port} of ${node} cannot be reached (${reason}).`,
  hint: ({ node }) => `Check on the lesson page that ${node} is running; restart it if it is not.`,
  status: 502,
  fr: {
    title: 'Le nœud est injoignable',
    message: ({ node, port, reason }) => `Le port ${port} de ${node} est injoignable (${reason}).`,
    hint: ({ node }) => `Vérifiez sur la page de la leçon que ${node} tourne ; redémarrez-le sinon.`,
  },
});

export const PreviewTimedOut = defineError<Where & { phase: 'connect' | 'answer'; seconds: number }>({
  name: 'PreviewTimedOut',
  title: 'The preview timed out',
  message: ({ node, port, phase, seconds }) =>
    phase === 'connect'
      ? `Port ${port} of ${node} did not accept a connection within ${seconds} s.`
      : `The server on port ${port} of ${node} accepted the connection but did not answer within ${seconds} s.`,
  hint: () => 'It may be busy or stuck: look at its logs (docker logs <container>), then reload.',
  status: 504,
  fr: {
    title: 'L’aperçu a expiré',
    message: ({ node, port, phase, seconds }) =>
      phase === 'connect'
        ? `Le port ${port} de ${node} n’a pas accepté de connexion en ${seconds} s.`
        : `Le serveur sur le port ${port} de ${node} a accepté la connexion mais n’a pas répondu en ${seconds} s.`,
    hint: () =>
      'Il est peut-être occupé ou bloqué : lisez ses journaux (docker logs <conteneur>), puis rechargez.',
  },
});

export const PreviewLookupFailed = defineError<{ address: string }>({
  name: 'PreviewLookupFailed',
  title: 'The preview could not be looked up',
  message: ({ address }) => `The lab server could not look up the preview ${address}.`,
  hint: () => 'Reload in a moment; if it keeps failing, the lab server log says why.',
  status: 500,
  fr: {
    title: 'L’aperçu n’a pas pu être trouvé',
    message: ({ address }) => `Le serveur du lab n’a pas pu retrouver l’aperçu ${address}.`,
    hint: () =>
      'Rechargez dans un instant ; si cela échoue encore, le journal du serveur du lab dit pourquoi.',
  },
});
