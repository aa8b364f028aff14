import type { ErrorDefinition } from '../errors/lab-error.ts';

// The stores' failures, in the shape of the error catalog (errors/catalog.ts): each stops the lab
// server at start-up, so each says what the person starting it should do.

const define = <Args>(def: ErrorDefinition<Args>): ErrorDefinition<Args> => def;

export const StoreInUse = define<{ file: string; holder: string }>({
  name: 'StoreInUse',
  title: 'Session store in use',
  message: ({ file, holder }) => `The session store ${file} is already open in ${holder}.`,
  hint: ({ file }) =>
    `Stop the other lab server or give this one its own DOCKSIDE_STATE_DIR. If no lab server is running, delete ${file}.lock and ${file}.owner.`,
});

export const StoreSchemaTooNew = define<{ where: string; found: number; known: number }>({
  name: 'StoreSchemaTooNew',
  title: 'Session store from a newer Dockside',
  message: ({ where, found, known }) =>
    `${where} has schema version ${found}; this lab server knows versions up to ${known}.`,
  hint: () =>
    'Run the newer Dockside that wrote it, or point this one at another database (DOCKSIDE_DATABASE_URL or DOCKSIDE_STATE_DIR).',
});

export const StoreUnreachable = define<{ url: string; reason: string }>({
  name: 'StoreUnreachable',
  title: 'Database unreachable',
  message: ({ url, reason }) => `PostgreSQL at ${url} could not be used: ${reason}.`,
  hint: () =>
    'Check DOCKSIDE_DATABASE_URL (user, password, host, port, database) and that the server runs, or unset it to use the embedded SQLite store.',
});
