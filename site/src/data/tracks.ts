/**
 * The course's tracks, in the order a newcomer should follow them. A lesson names its track in its
 * frontmatter and lives in the folder of the same name under `lessons/`.
 */
export interface Track {
  /** Folder under `lessons/` and the `track` value of its lessons. */
  id: string;
  title: { en: string; fr: string };
  /** One sentence for the home page and the track page. */
  description: { en: string; fr: string };
}

export const TRACKS = [
  {
    id: 'history',
    title: { en: 'History', fr: 'Histoire' },
    description: {
      en: 'From chroot (1979) to cgroups, LXC, Docker and the OCI: why containers look the way they do.',
      fr: 'De chroot (1979) aux cgroups, à LXC, Docker et l’OCI : pourquoi les conteneurs sont ainsi faits.',
    },
  },
  {
    id: 'images',
    title: { en: 'Images and Dockerfiles', fr: 'Images et Dockerfiles' },
    description: {
      en: 'Write the recipe of an image, build it, layer it, tag it and label it.',
      fr: 'Écrire la recette d’une image, la construire, l’étiqueter et la décrire.',
    },
  },
  {
    id: 'data',
    title: { en: 'Containers and data', fr: 'Conteneurs et données' },
    description: {
      en: 'Where a container writes: its own layer, volumes, and read-only containers.',
      fr: 'Où écrit un conteneur : sa couche, les volumes, et les conteneurs en lecture seule.',
    },
  },
  {
    id: 'networking',
    title: { en: 'Networking', fr: 'Réseau' },
    description: {
      en: 'User-defined networks, name resolution between containers, published ports.',
      fr: 'Réseaux définis par l’utilisateur, résolution de noms entre conteneurs, ports publiés.',
    },
  },
  {
    id: 'compose',
    title: { en: 'Compose', fr: 'Compose' },
    description: {
      en: 'An application of several containers described in one file and started with one command.',
      fr: 'Une application de plusieurs conteneurs décrite dans un fichier et lancée d’une commande.',
    },
  },
  {
    id: 'registries',
    title: { en: 'Registries', fr: 'Registres' },
    description: {
      en: 'Names, tags and digests; how an image travels from one machine to another.',
      fr: 'Noms, tags et digests ; comment une image voyage d’une machine à l’autre.',
    },
  },
  {
    id: 'swarm',
    title: { en: 'Swarm', fr: 'Swarm' },
    description: {
      en: 'Managers and workers, replicated services, and what happens when a node dies.',
      fr: 'Managers et workers, services répliqués, et ce qui se passe quand un nœud tombe.',
    },
  },
  {
    id: 'kubernetes',
    title: { en: 'Kubernetes concepts', fr: 'Concepts de Kubernetes' },
    description: {
      en: 'Pods, deployments and services, explained from what you did with Swarm.',
      fr: 'Pods, deployments et services, expliqués à partir de ce que vous avez fait avec Swarm.',
    },
  },
] as const satisfies readonly Track[];

export type TrackId = (typeof TRACKS)[number]['id'];

export const TRACK_IDS = TRACKS.map((t) => t.id) as [TrackId, ...TrackId[]];

export function findTrack(id: string): Track | undefined {
  return TRACKS.find((t) => t.id === id);
}
