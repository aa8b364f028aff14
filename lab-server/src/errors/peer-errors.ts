import { defineError } from './lab-error.ts';

// Labs sharing one database (docs/scale-out.md): who holds a lab id, and a session whose lab is away,
// in the shape of the error catalog (errors/catalog.ts).

export const LabIdInUse = defineError<{ id: string; address: string; untilSeconds: number }>({
  name: 'LabIdInUse',
  title: 'Lab id in use',
  message: ({ id, address, untilSeconds }) =>
    `Another lab server (${address || 'address unknown'}) holds the lab id ${id}; its lease runs for ${untilSeconds} s more.`,
  hint: () =>
    'Stop that lab server first, or give this one its own DOCKSIDE_STATE_DIR (or DOCKSIDE_LAB_ID). A lab that died frees its id when its lease runs out.',
  status: 409,
  fr: {
    title: 'Identifiant de lab déjà pris',
    message: ({ id, address, untilSeconds }) =>
      `Un autre serveur de lab (${address || 'adresse inconnue'}) détient l’identifiant ${id} ; son bail court encore ${untilSeconds} s.`,
    hint: () =>
      'Arrêtez d’abord ce serveur de lab, ou donnez à celui-ci son propre DOCKSIDE_STATE_DIR (ou DOCKSIDE_LAB_ID). Un lab arrêté net libère son identifiant à la fin de son bail.',
  },
});

export const OwnerLabDown = defineError<{ lab: string }>({
  name: 'OwnerLabDown',
  title: 'This sandbox’s lab server is away',
  message: ({ lab }) =>
    `This sandbox runs on lab server ${lab}, which does not answer right now. Nothing is lost: it works again when that server is back.`,
  hint: () => 'Wait a moment and try again, or start a new sandbox here: this lab server is up.',
  status: 503,
  fr: {
    title: 'Le serveur de lab de ce bac à sable est absent',
    message: ({ lab }) =>
      `Ce bac à sable tourne sur le serveur de lab ${lab}, qui ne répond pas pour l’instant. Rien n’est perdu : il remarchera au retour de ce serveur.`,
    hint: () =>
      'Patientez un instant et réessayez, ou démarrez ici un nouveau bac à sable : ce serveur de lab répond.',
  },
});

export const AnotherLabEngine = defineError<{ socket: string; pid: number }>({
  name: 'AnotherLabEngine',
  title: 'Another lab’s engine runs on this host',
  message: ({ socket, pid }) =>
    `Another Dockside lab started its own Docker engine on this host (process ${pid}, ${socket}); a second one would share its bridge and firewall chains, and each would undo the other's rules.`,
  hint: ({ socket }) =>
    `Share that engine: start this lab with DOCKSIDE_ENGINE=existing DOCKER_HOST=${socket} (the labs keep to their own sandboxes), or stop the other lab first.`,
  fr: {
    title: 'Le moteur d’un autre lab tourne sur cette machine',
    message: ({ socket, pid }) =>
      `Un autre lab Dockside a démarré son propre moteur Docker sur cette machine (processus ${pid}, ${socket}) ; un second partagerait son pont et ses chaînes de pare-feu, et chacun déferait les règles de l’autre.`,
    hint: ({ socket }) =>
      `Partagez ce moteur : démarrez ce lab avec DOCKSIDE_ENGINE=existing DOCKER_HOST=${socket} (chaque lab s’en tient à ses bacs à sable), ou arrêtez d’abord l’autre lab.`,
  },
});
