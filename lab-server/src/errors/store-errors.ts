import { defineError } from './lab-error.ts';

// The stores' failures, in the shape of the error catalog (errors/catalog.ts): each stops the lab
// server at start-up, so each says what the person starting it should do.

export const StoreInUse = defineError<{ file: string; holder: string }>({
  name: 'StoreInUse',
  title: 'Session store in use',
  message: ({ file, holder }) => `The session store ${file} is already open in ${holder}.`,
  hint: ({ file }) =>
    `Stop the other lab server or give this one its own DOCKSIDE_STATE_DIR. If no lab server is running, delete ${file}.lock and ${file}.owner.`,
  fr: {
    title: 'Stockage des sessions déjà utilisé',
    message: ({ file, holder }) => `Le stockage des sessions ${file} est déjà ouvert par ${holder}.`,
    hint: ({ file }) =>
      `Arrêtez l’autre serveur de lab ou donnez à celui-ci son propre DOCKSIDE_STATE_DIR. Si aucun serveur de lab ne tourne, supprimez ${file}.lock et ${file}.owner.`,
  },
});

export const StoreSchemaTooNew = defineError<{ where: string; found: number; known: number }>({
  name: 'StoreSchemaTooNew',
  title: 'Session store from a newer Dockside',
  message: ({ where, found, known }) =>
    `${where} has schema version ${found}; this lab server knows versions up to ${known}.`,
  hint: () =>
    'Run the newer Dockside that wrote it, or point this one at another database (DOCKSIDE_DATABASE_URL or DOCKSIDE_STATE_DIR).',
  fr: {
    title: 'Stockage des sessions d’un Dockside plus récent',
    message: ({ where, found, known }) =>
      `${where} a la version de schéma ${found} ; ce serveur de lab connaît les versions jusqu’à ${known}.`,
    hint: () =>
      'Lancez le Dockside plus récent qui l’a écrit, ou pointez celui-ci vers une autre base (DOCKSIDE_DATABASE_URL ou DOCKSIDE_STATE_DIR).',
  },
});

export const StoreUnreachable = defineError<{ url: string; reason: string }>({
  name: 'StoreUnreachable',
  title: 'Database unreachable',
  message: ({ url, reason }) => `PostgreSQL at ${url} could not be used: ${reason}.`,
  hint: () =>
    'Check DOCKSIDE_DATABASE_URL (user, password, host, port, database) and that the server runs, or unset it to use the embedded SQLite store.',
  fr: {
    title: 'Base de données injoignable',
    message: ({ url, reason }) => `PostgreSQL à ${url} n’a pas pu servir : ${reason}.`,
    hint: () =>
      'Vérifiez DOCKSIDE_DATABASE_URL (utilisateur, mot de passe, hôte, port, base) et que le serveur tourne, ou retirez-la pour utiliser le stockage SQLite intégré.',
  },
});
