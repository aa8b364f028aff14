import { defineError, type Language } from './lab-error.ts';

export const EngineUnreachable = defineError<{ host: string; reason: string }>({
  name: 'EngineUnreachable',
  title: 'Docker engine unreachable',
  message: ({ host, reason }) => `The Docker engine at ${host} does not answer (${reason}).`,
  hint: ({ host }) =>
    host.startsWith('unix://')
      ? 'Start it, or unset DOCKER_HOST so that Dockside starts its own engine (as root).'
      : 'Check that DOCKER_HOST is right and the engine is running, or unset it.',
  fr: {
    title: 'Moteur Docker injoignable',
    message: ({ host, reason }) => `Le moteur Docker à ${host} ne répond pas (${reason}).`,
    hint: ({ host }) =>
      host.startsWith('unix://')
        ? 'Démarrez-le, ou retirez DOCKER_HOST pour que Dockside démarre son propre moteur (en root).'
        : 'Vérifiez que DOCKER_HOST est juste et que le moteur tourne, ou retirez-le.',
  },
});

export const EngineNeedsRoot = defineError<{ socket: string }>({
  name: 'EngineNeedsRoot',
  title: 'No engine and not root',
  message: ({ socket }) => `No Docker engine answers at ${socket} and Dockside is not running as root.`,
  hint: () =>
    'Run `sudo npm start` so that Dockside can install and start its own engine, or start Docker and set DOCKER_HOST.',
  fr: {
    title: 'Pas de moteur, et pas root',
    message: ({ socket }) => `Aucun moteur Docker ne répond à ${socket} et Dockside ne tourne pas en root.`,
    hint: () =>
      'Lancez `sudo npm start` pour que Dockside installe et démarre son propre moteur, ou démarrez Docker et réglez DOCKER_HOST.',
  },
});

export const EngineStartFailed = defineError<{ reason: string; log: string }>({
  name: 'EngineStartFailed',
  title: 'The lab engine did not start',
  message: ({ reason }) => `Dockside started dockerd but it ${reason}.`,
  hint: ({ log }) => `Read ${log} for dockerd's own words.`,
  fr: {
    title: 'Le moteur du lab n’a pas démarré',
    message: ({ reason }) => `Dockside a lancé dockerd, mais il ${reason}.`,
    hint: ({ log }) => `Lisez ${log} pour les mots de dockerd lui-même.`,
  },
});

export const PackageInstallFailed = defineError<{ packages: string[]; reason: string }>({
  name: 'PackageInstallFailed',
  title: 'Debian packages could not be installed',
  message: ({ packages, reason }) => `Installing ${packages.join(', ')} with apt-get failed: ${reason}.`,
  hint: () =>
    "Check that Debian's package mirror is reachable (apt-get update) or install the packages yourself, then run again.",
  fr: {
    title: 'Les paquets Debian n’ont pas pu être installés',
    message: ({ packages, reason }) =>
      `L’installation de ${packages.join(', ')} avec apt-get a échoué : ${reason}.`,
    hint: () =>
      'Vérifiez que le miroir de paquets Debian répond (apt-get update) ou installez les paquets vous-même, puis relancez.',
  },
});

export const PrivilegedProbeFailed = defineError<{ reason: string; missingCaps: string[] }>({
  name: 'PrivilegedProbeFailed',
  title: 'Privileged containers do not work on this engine',
  message: ({ reason }) => `A privileged probe container failed: ${reason}.`,
  hint: ({ missingCaps }) =>
    missingCaps.length > 0
      ? `This host cannot grant ${missingCaps.join(', ')}; let Dockside run its own engine (unset DOCKER_HOST, DOCKSIDE_ENGINE=own) so its runtime wrapper removes them.`
      : 'Docker-in-docker nodes need privileged containers; check the engine log.',
  fr: {
    title: 'Les conteneurs privilégiés ne marchent pas sur ce moteur',
    message: ({ reason }) => `Un conteneur de test privilégié a échoué : ${reason}.`,
    hint: ({ missingCaps }) =>
      missingCaps.length > 0
        ? `Cet hôte ne peut pas accorder ${missingCaps.join(', ')} ; laissez Dockside lancer son propre moteur (retirez DOCKER_HOST, DOCKSIDE_ENGINE=own) pour que son enveloppe d’exécution les retire.`
        : 'Les nœuds docker-in-docker demandent des conteneurs privilégiés ; lisez le journal du moteur.',
  },
});

export const ImageBuildFailed = defineError<{ image: string; reason: string }>({
  name: 'ImageBuildFailed',
  title: 'A sandbox image did not build',
  message: ({ image, reason }) => `Building image ${image} failed: ${reason}.`,
  hint: ({ image }) =>
    `Fix the recipe of ${image} under sandbox/ (or check the package mirror), then run again; finished images are kept.`,
  fr: {
    title: 'Une image de bac à sable ne s’est pas construite',
    message: ({ image, reason }) => `La construction de l’image ${image} a échoué : ${reason}.`,
    hint: ({ image }) =>
      `Corrigez la recette de ${image} sous sandbox/ (ou vérifiez le miroir de paquets), puis relancez ; les images finies sont gardées.`,
  },
});

export const DebianMirrorUnknown = defineError<{ looked: string[] }>({
  name: 'DebianMirrorUnknown',
  title: 'No Debian mirror configured',
  message: ({ looked }) => `No Debian package mirror was found in ${looked.join(', ')}.`,
  hint: () => 'Set DOCKSIDE_DEBIAN_MIRROR to a Debian mirror URL (for example http://<mirror>/debian).',
  fr: {
    title: 'Aucun miroir Debian configuré',
    message: ({ looked }) => `Aucun miroir de paquets Debian trouvé dans ${looked.join(', ')}.`,
    hint: () =>
      'Réglez DOCKSIDE_DEBIAN_MIRROR sur l’URL d’un miroir Debian (par exemple http://<miroir>/debian).',
  },
});

export const DiskFull = defineError<{ path: string; freeMiB: number; needMiB: number }>({
  name: 'DiskFull',
  title: 'Not enough disk space',
  message: ({ path, freeMiB, needMiB }) =>
    `Only ${freeMiB} MiB are free under ${path}; Dockside needs at least ${needMiB} MiB to build its images.`,
  hint: () => 'Free some space (docker system prune, old files) or set DOCKSIDE_STATE_DIR to a larger disk.',
  fr: {
    title: 'Pas assez de place sur le disque',
    message: ({ path, freeMiB, needMiB }) =>
      `Il ne reste que ${freeMiB} Mio libres sous ${path} ; Dockside a besoin d’au moins ${needMiB} Mio pour construire ses images.`,
    hint: () =>
      'Libérez de la place (docker system prune, vieux fichiers) ou pointez DOCKSIDE_STATE_DIR vers un disque plus grand.',
  },
});

export const PortInUse = defineError<{ host: string; port: number }>({
  name: 'PortInUse',
  title: 'Port already taken',
  message: ({ host, port }) => `Another program already listens on ${host}:${port}.`,
  hint: () => 'Stop it, or choose another port: PORT=8081 npm start.',
  fr: {
    title: 'Port déjà pris',
    message: ({ host, port }) => `Un autre programme écoute déjà sur ${host}:${port}.`,
    hint: () => 'Arrêtez-le, ou choisissez un autre port : PORT=8081 npm start.',
  },
});

export const InvalidConfig = defineError<{ variable: string; value: string; expected: string }>({
  name: 'InvalidConfig',
  title: 'Invalid configuration',
  message: ({ variable, value, expected }) =>
    `${variable}=${JSON.stringify(value)} is not valid: ${expected}.`,
  hint: ({ variable }) => `Fix or unset ${variable}.`,
  fr: {
    title: 'Configuration invalide',
    message: ({ variable, value, expected }) =>
      `${variable}=${JSON.stringify(value)} n’est pas valide : ${expected}.`,
    hint: ({ variable }) => `Corrigez ou retirez ${variable}.`,
  },
});

export const ProfileUnavailable = defineError<{ profile: string; missing: string[] }>({
  name: 'ProfileUnavailable',
  title: 'This host cannot keep the security profile’s promises',
  message: ({ profile, missing }) =>
    `The ${profile} security profile cannot start here: it needs ${missing.join('; and ')}.`,
  hint: ({ profile }) =>
    profile === 'public'
      ? 'Install what is missing, or run DOCKSIDE_PROFILE=trusted for learners you know on a disposable host (docs/security.md).'
      : 'Install what is missing (apt-get install iptables), then start again.',
  fr: {
    title: 'Cet hôte ne peut pas tenir les promesses du profil de sécurité',
    message: ({ profile, missing }) =>
      `Le profil de sécurité ${profile} ne peut pas démarrer ici : il lui faut ${missing.join(' ; et ')}.`,
    hint: ({ profile }) =>
      profile === 'public'
        ? 'Installez ce qui manque, ou lancez DOCKSIDE_PROFILE=trusted pour des apprenants que vous connaissez, sur un hôte jetable (docs/security.md).'
        : 'Installez ce qui manque (apt-get install iptables), puis redémarrez.',
  },
});

export const FirewallFailed = defineError<{ command: string; output: string }>({
  name: 'FirewallFailed',
  title: 'The network fences could not be installed',
  message: ({ command, output }) => `\`${command}\` failed: ${output || 'no output'}.`,
  hint: () =>
    'The lab needs root and iptables (with the conntrack and physdev matches) to fence sandboxes; run it as root on a host whose kernel has them.',
  fr: {
    title: 'Les barrières réseau n’ont pas pu être posées',
    message: ({ command, output }) => `\`${command}\` a échoué : ${output || 'sans sortie'}.`,
    hint: () =>
      'Le lab a besoin de root et d’iptables (avec les modules conntrack et physdev) pour isoler les bacs à sable ; lancez-le en root sur un hôte dont le noyau les a.',
  },
});

export const NoSessionSubnet = defineError<{ range: string; networks: number; routes: string }>({
  name: 'NoSessionSubnet',
  title: 'No network address left for a sandbox',
  status: 503,
  message: ({ range, networks, routes }) =>
    `Every /24 of ${range} is taken: ${networks} by sandbox networks, the rest by this host's routes (${routes}).`,
  hint: () =>
    'Close sandboxes that are no longer used, or give the lab a larger range no route of this host uses with DOCKSIDE_SANDBOX_RANGE (for example 10.112.0.0/12).',
  fr: {
    title: 'Plus d’adresse réseau pour un bac à sable',
    message: ({ range, networks, routes }) =>
      `Chaque /24 de ${range} est pris : ${networks} par des réseaux de bacs à sable, le reste par les routes de cet hôte (${routes}).`,
    hint: () =>
      'Fermez les bacs à sable qui ne servent plus, ou donnez au lab une plage plus grande qu’aucune route de cet hôte n’utilise avec DOCKSIDE_SANDBOX_RANGE (par exemple 10.112.0.0/12).',
  },
});

export const ManifestInvalid = defineError<{ file: string; problems: string }>({
  name: 'ManifestInvalid',
  title: 'Invalid image manifest',
  message: ({ file, problems }) => `${file} is not a valid image manifest: ${problems}.`,
  hint: ({ file }) => `Fix ${file}; each entry is described in sandbox/README.md.`,
  fr: {
    title: 'Manifeste d’images invalide',
    message: ({ file, problems }) => `${file} n’est pas un manifeste d’images valide : ${problems}.`,
    hint: ({ file }) => `Corrigez ${file} ; chaque entrée est décrite dans sandbox/README.md.`,
  },
});

export const WaitTimedOut = defineError<{ what: string; timeoutMs: number; last?: string }>({
  name: 'WaitTimedOut',
  title: 'Timed out',
  message: ({ what, timeoutMs, last }) =>
    `Waited ${Math.round(timeoutMs / 1000)} s for ${what}${last ? ` (last error: ${last})` : ''}.`,
  hint: () => 'The machine may be overloaded; try again, or look at the engine log.',
  fr: {
    title: 'Délai dépassé',
    message: ({ what, timeoutMs, last }) =>
      `Attente de ${Math.round(timeoutMs / 1000)} s pour ${what}${last ? ` (dernière erreur : ${last})` : ''}.`,
    hint: () => 'La machine est peut-être surchargée ; réessayez, ou lisez le journal du moteur.',
  },
});

export const SessionNotFound = defineError<{ id: string }>({
  name: 'SessionNotFound',
  title: 'No such session',
  message: ({ id }) => `Session ${id} does not exist, has expired, or belongs to someone else.`,
  hint: () => 'Start a new sandbox from the lesson page.',
  status: 404,
  fr: {
    title: 'Session inconnue',
    message: ({ id }) => `La session ${id} n’existe pas, a expiré, ou appartient à quelqu’un d’autre.`,
    hint: () => 'Démarrez un nouveau bac à sable depuis la page de la leçon.',
  },
});

export const NodeNotFound = defineError<{ session: string; node: string; nodes: string[] }>({
  name: 'NodeNotFound',
  title: 'No such node',
  message: ({ node, nodes }) =>
    `There is no node ${node} in this sandbox (it has ${nodes.join(', ') || 'no nodes'}).`,
  hint: () => 'Pick one of the nodes listed, or add a node.',
  status: 404,
  fr: {
    title: 'Nœud inconnu',
    message: ({ node, nodes }) =>
      `Il n’y a pas de nœud ${node} dans ce bac à sable (il a ${nodes.join(', ') || 'aucun nœud'}).`,
    hint: () => 'Choisissez l’un des nœuds listés, ou ajoutez un nœud.',
  },
});

/** Why a node stopped, when the lab knows: said in NodeDown, in the learner's language. */
export type DownReason =
  | { kind: 'killed' }
  | { kind: 'oom' }
  | { kind: 'exited'; exitCode?: number }
  | { kind: 'disk'; stop: 'cap' | 'grace-ended' | 'ceiling'; usedBytes?: number; capBytes?: number };

const size = (bytes: number, lang: Language) => {
  const mib = bytes < 2 ** 30;
  const n = mib ? Math.round(bytes / 2 ** 20) : (bytes / 2 ** 30).toFixed(1);
  return lang === 'fr'
    ? `${String(n).replace('.', ',')} ${mib ? 'Mio' : 'Gio'}`
    : `${n} ${mib ? 'MiB' : 'GiB'}`;
};

export function downReason(why: DownReason, lang: Language): string {
  const fr = lang === 'fr';
  switch (why.kind) {
    case 'killed':
      return fr ? 'il a été arrêté net à la demande' : 'it was stopped abruptly on request';
    case 'oom':
      return fr ? 'il a manqué de mémoire' : 'it ran out of memory';
    case 'exited': {
      const code =
        why.exitCode === undefined ? '' : ` (${fr ? 'code de sortie' : 'exit code'} ${why.exitCode})`;
      return `${fr ? 'il s’est arrêté' : 'it stopped'}${code}`;
    }
    case 'disk': {
      if (why.stop === 'ceiling')
        return fr
          ? 'il a continué d’écrire pendant son délai de grâce, au-delà de son plafond de disque'
          : 'it kept writing during its grace window, past its disk ceiling';
      if (why.stop === 'grace-ended')
        return fr
          ? 'ses fichiers dépassaient encore leur quota à la fin de son délai de grâce'
          : 'its own files were still over their cap when its grace window ended';
      if (why.usedBytes !== undefined && why.capBytes !== undefined)
        return fr
          ? `ses fichiers (hors de /var/lib/docker) occupent ${size(why.usedBytes, lang)}, plus que les ${size(why.capBytes, lang)} permis à un nœud`
          : `its own files (outside /var/lib/docker) take ${size(why.usedBytes, lang)}, more than the ${size(why.capBytes, lang)} a node may use`;
      return fr
        ? 'ses fichiers (hors de /var/lib/docker) ont dépassé leur quota'
        : 'its own files (outside /var/lib/docker) passed their cap';
    }
  }
}

export const NodeDown = defineError<{ node: string; state: string; why?: DownReason }>({
  name: 'NodeDown',
  title: 'Node is not running',
  message: ({ node, state, why }) => `Node ${node} is ${state}${why ? `: ${downReason(why, 'en')}` : ''}.`,
  hint: ({ node }) => `Restart ${node} from the lesson page (or POST .../nodes/${node}/restart).`,
  status: 409,
  fr: {
    title: 'Le nœud ne tourne pas',
    message: ({ node, state, why }) =>
      `Le nœud ${node} est ${state === 'running' ? 'en marche' : 'arrêté'}${why ? ` : ${downReason(why, 'fr')}` : ''}.`,
    hint: ({ node }) => `Redémarrez ${node} depuis la page de la leçon (ou POST .../nodes/${node}/restart).`,
  },
});

export const CapacityReached = defineError<{
  active: number;
  max: number;
  unit: 'sandboxes' | 'nodes';
  wanted?: number;
}>({
  name: 'CapacityReached',
  title: 'The lab is full',
  message: ({ active, max, unit, wanted }) =>
    `The lab is out of capacity: it runs ${active} ${unit}${wanted ? ` and this needs ${wanted} more` : ''}; its maximum is ${max}.`,
  hint: ({ unit }) =>
    `Try again in a few minutes, when other sandboxes expire; an instructor can raise ${
      unit === 'nodes' ? 'DOCKSIDE_MAX_LAB_NODES' : 'DOCKSIDE_MAX_SESSIONS'
    }.`,
  status: 503,
  fr: {
    title: 'Le lab est plein',
    message: ({ active, max, unit, wanted }) =>
      `Le lab n’a plus de place : il fait tourner ${active} ${unit === 'nodes' ? 'nœuds' : 'bacs à sable'}${wanted ? ` et il en faut ${wanted} de plus` : ''} ; son maximum est ${max}.`,
    hint: ({ unit }) =>
      `Réessayez dans quelques minutes, quand d’autres bacs à sable auront expiré ; un formateur peut relever ${
        unit === 'nodes' ? 'DOCKSIDE_MAX_LAB_NODES' : 'DOCKSIDE_MAX_SESSIONS'
      }.`,
  },
});

export const RateLimited = defineError<{ perMinute: number; retryAfterSeconds: number }>({
  name: 'RateLimited',
  title: 'Too many new sandboxes',
  message: ({ perMinute }) =>
    `This address created ${perMinute} sandboxes in the last minute, the most allowed.`,
  hint: ({ retryAfterSeconds }) => `Wait ${retryAfterSeconds} s and try again.`,
  status: 429,
  fr: {
    title: 'Trop de nouveaux bacs à sable',
    message: ({ perMinute }) =>
      `Cette adresse a créé ${perMinute} bacs à sable dans la dernière minute, le maximum permis.`,
    hint: ({ retryAfterSeconds }) => `Attendez ${retryAfterSeconds} s et réessayez.`,
  },
});

export const TooManySessions = defineError<{ max: number }>({
  name: 'TooManySessions',
  title: 'Too many sandboxes open',
  message: ({ max }) => `You already have ${max} sandboxes running, the most one learner may have.`,
  hint: () => 'Close one you no longer use (its lesson page has a Stop button), then start this one.',
  status: 429,
  fr: {
    title: 'Trop de bacs à sable ouverts',
    message: ({ max }) => `Vous avez déjà ${max} bacs à sable en marche, le plus qu’un apprenant peut avoir.`,
    hint: () =>
      'Fermez-en un qui ne sert plus (la page de sa leçon a un bouton Arrêter), puis démarrez celui-ci.',
  },
});

export const NodeLimitReached = defineError<{ max: number }>({
  name: 'NodeLimitReached',
  title: 'Node limit reached',
  message: ({ max }) => `This sandbox already has ${max} nodes, the most allowed.`,
  hint: () => 'Remove a node before adding another.',
  status: 409,
  fr: {
    title: 'Limite de nœuds atteinte',
    message: ({ max }) => `Ce bac à sable a déjà ${max} nœuds, le maximum permis.`,
    hint: () => 'Retirez un nœud avant d’en ajouter un autre.',
  },
});

export const SandboxStartFailed = defineError<{ template: string; reason: string }>({
  name: 'SandboxStartFailed',
  title: 'The sandbox did not start',
  message: ({ template, reason }) => `Starting a ${template} sandbox failed: ${reason}.`,
  hint: () => 'Try again; if it keeps failing, the lab server log says more.',
  status: 500,
  fr: {
    title: 'Le bac à sable n’a pas démarré',
    message: ({ template, reason }) => `Le démarrage d’un bac à sable ${template} a échoué : ${reason}.`,
    hint: () => 'Réessayez ; si cela échoue encore, le journal du serveur du lab en dit plus.',
  },
});

export const InvalidRequest = defineError<{ problems: string }>({
  name: 'InvalidRequest',
  title: 'Invalid request',
  message: ({ problems }) => `The request is not valid: ${problems}.`,
  hint: () => 'See docs/api.md for the request format.',
  status: 400,
  fr: {
    title: 'Requête invalide',
    message: ({ problems }) => `La requête n’est pas valide : ${problems}.`,
    hint: () => 'Le format des requêtes est décrit dans docs/api.md.',
  },
});

export const ExecTimedOut = defineError<{ node: string; timeoutMs: number }>({
  name: 'ExecTimedOut',
  title: 'Command timed out',
  message: ({ node, timeoutMs }) =>
    `The command on ${node} did not finish within ${Math.round(timeoutMs / 1000)} s and was stopped.`,
  hint: () => 'Run long commands in a terminal instead, or raise timeoutMs (at most 120000).',
  status: 504,
  fr: {
    title: 'Commande trop longue',
    message: ({ node, timeoutMs }) =>
      `La commande sur ${node} n’a pas fini en ${Math.round(timeoutMs / 1000)} s et a été arrêtée.`,
    hint: () => 'Lancez les commandes longues dans un terminal, ou augmentez timeoutMs (120000 au plus).',
  },
});

export const EngineRecovering = defineError<{ detail: string }>({
  name: 'EngineRecovering',
  title: "The lab's engine is restarting",
  message: ({ detail }) => `The lab's Docker engine is unavailable for a moment (${detail}).`,
  hint: () =>
    'Your sandbox comes back by itself: its nodes are started again as soon as the engine answers. Try again in a few seconds.',
  status: 503,
  fr: {
    title: 'Le moteur du lab redémarre',
    message: ({ detail }) => `Le moteur Docker du lab est indisponible un instant (${detail}).`,
    hint: () =>
      'Votre bac à sable revient tout seul : ses nœuds redémarrent dès que le moteur répond. Réessayez dans quelques secondes.',
  },
});

export const LabStarting = defineError<{ detail: string }>({
  name: 'LabStarting',
  title: 'The lab is starting',
  message: ({ detail }) => `The lab is not ready yet (${detail}).`,
  hint: () => 'Wait a moment and try again; GET /api/health says when it is ready.',
  status: 503,
  fr: {
    title: 'Le lab démarre',
    message: ({ detail }) => `Le lab n’est pas encore prêt (${detail}).`,
    hint: () => 'Patientez un instant et réessayez ; GET /api/health dit quand il est prêt.',
  },
});
