import { TERMINAL_LIMITS } from '../protocol/terminal-frames.ts';
import { defineError } from './lab-error.ts';

// What a terminal says back to a browser that sent something it cannot use, in the shape of the error
// catalog (errors/catalog.ts). They travel as `error` status frames; the connection stays open.

export const TerminalFrameUnknown = defineError<{ code: number | undefined }>({
  name: 'TerminalFrameUnknown',
  title: 'Unknown terminal frame',
  message: ({ code }) =>
    code === undefined
      ? 'The terminal received an empty frame.'
      : `The terminal received a frame of unknown type ${JSON.stringify(String.fromCharCode(code))}.`,
  hint: () => "Frames start with '0' (input), '1' (resize) or '2' (acknowledgement).",
  fr: {
    title: 'Trame de terminal inconnue',
    message: ({ code }) =>
      code === undefined
        ? 'Le terminal a reçu une trame vide.'
        : `Le terminal a reçu une trame de type inconnu ${JSON.stringify(String.fromCharCode(code))}.`,
    hint: () => "Les trames commencent par '0' (saisie), '1' (taille) ou '2' (accusé de réception).",
  },
});

export const TerminalInputTooLarge = defineError<{ bytes: number }>({
  name: 'TerminalInputTooLarge',
  title: 'Paste too large',
  message: ({ bytes }) =>
    `That paste is ${bytes} bytes; a terminal takes at most ${TERMINAL_LIMITS.maxInputBytes} at once, so it was not typed.`,
  hint: () => 'Paste it in smaller parts, or write large files with the file blocks of the lesson.',
  fr: {
    title: 'Collage trop grand',
    message: ({ bytes }) =>
      `Ce collage fait ${bytes} octets ; un terminal en prend au plus ${TERMINAL_LIMITS.maxInputBytes} d’un coup, il n’a donc pas été tapé.`,
    hint: () =>
      'Collez-le en plusieurs fois, ou écrivez les gros fichiers avec les blocs de fichier de la leçon.',
  },
});

export const TerminalResizeInvalid = defineError<{ reason: 'not-json' | 'not-numbers' }>({
  name: 'TerminalResizeInvalid',
  title: 'Bad resize frame',
  message: ({ reason }) =>
    `The terminal could not be resized: ${reason === 'not-json' ? 'the frame is not JSON' : 'cols and rows must be numbers'}.`,
  hint: () => 'A resize frame holds JSON {"cols": n, "rows": n} with numbers.',
  fr: {
    title: 'Trame de taille invalide',
    message: ({ reason }) =>
      `Le terminal n’a pas pu changer de taille : ${reason === 'not-json' ? 'la trame n’est pas du JSON' : 'cols et rows doivent être des nombres'}.`,
    hint: () => 'Une trame de taille contient le JSON {"cols": n, "rows": n} avec des nombres.',
  },
});

export const TerminalAckInvalid = defineError<{ text: string }>({
  name: 'TerminalAckInvalid',
  title: 'Bad acknowledgement frame',
  message: ({ text }) => `An acknowledgement must be a whole number of bytes, not ${JSON.stringify(text)}.`,
  hint: () => "Send '2' followed by the decimal count of output bytes written.",
  fr: {
    title: 'Accusé de réception invalide',
    message: ({ text }) =>
      `Un accusé de réception doit être un nombre entier d’octets, pas ${JSON.stringify(text)}.`,
    hint: () => "Envoyez '2' suivi du nombre décimal d’octets de sortie affichés.",
  },
});

export const TerminalLimitReached = defineError<{ node: string; max: number }>({
  name: 'TerminalLimitReached',
  title: 'Too many terminals',
  message: ({ node, max }) => `${node} already has ${max} terminals open, all of them in use.`,
  hint: () => 'Close a terminal tab on this node, then reload this one.',
  fr: {
    title: 'Trop de terminaux',
    message: ({ node, max }) => `${node} a déjà ${max} terminaux ouverts, tous utilisés.`,
    hint: () => 'Fermez un onglet de terminal sur ce nœud, puis rechargez celui-ci.',
  },
});

export const TerminalStartFailed = defineError<{ node: string; reason: string }>({
  name: 'TerminalStartFailed',
  title: 'The shell did not start',
  message: ({ node, reason }) => `A shell could not be started on ${node}: ${reason}.`,
  hint: ({ node }) => `Check that ${node} is running (restart it from the lesson page), then reload.`,
  fr: {
    title: 'Le shell n’a pas démarré',
    message: ({ node, reason }) => `Aucun shell n’a pu être lancé sur ${node} : ${reason}.`,
    hint: ({ node }) =>
      `Vérifiez que ${node} tourne (redémarrez-le depuis la page de la leçon), puis rechargez.`,
  },
});

export const TerminalHubClosed = defineError<Record<string, never>>({
  name: 'TerminalHubClosed',
  title: 'The lab server is stopping',
  message: () => 'The lab server is stopping and opens no more terminals.',
  hint: () => 'Reload the page once the lab is back.',
  fr: {
    title: 'Le serveur du lab s’arrête',
    message: () => 'Le serveur du lab s’arrête et n’ouvre plus de terminaux.',
    hint: () => 'Rechargez la page une fois le lab revenu.',
  },
});
