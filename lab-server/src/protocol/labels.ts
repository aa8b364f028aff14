/**
 * The Docker labels the lab puts on what it creates, so it finds (and cleans) its own things on any
 * engine. Part of the protocol: tools and tests that read an engine look for the same names.
 */
export const LABEL_LAB = 'org.dockside.lab';
/**
 * LABEL_LAB's value on what any lab may share (images, services) and on sandboxes made before labs had
 * ids; a session's resources carry their lab's id instead.
 */
export const ANY_LAB = 'dockside';
/** On images: a digest of the recipe and its parents' digests (a changed recipe rebuilds). */
export const LABEL_RECIPE = 'org.dockside.recipe';
/** What a container, network or image is to the lab: node, session-network, service, ... */
export const LABEL_ROLE = 'org.dockside.role';
export const LABEL_SESSION = 'org.dockside.session';
export const LABEL_NODE = 'org.dockside.node';
/** On service containers: a digest of their configuration (a changed one is recreated). */
export const LABEL_CONFIG = 'org.dockside.config';
/** On volumes: a random value set at creation (work recorded against a volume is redone when it is new). */
export const LABEL_GENERATION = 'org.dockside.generation';
/** On what a test makes: the test process, so a crashed run's leftovers can be found. */
export const LABEL_TEST = 'org.dockside.test';

/**
 * Labels on everything a session owns: the reaper and the reconciler find sandboxes by them, and a lab
 * sharing its engine with another touches only those carrying its own id.
 */
export function sessionLabels(
  sessionId: string,
  labId: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return { [LABEL_LAB]: labId, [LABEL_SESSION]: sessionId, ...extra };
}

/** Whether a session's resource is lab `labId`'s: its own id, or from before labs had ids (adopted). */
export const isLabs = (labels: Record<string, string> | undefined, labId: string) =>
  labels?.[LABEL_LAB] === labId || labels?.[LABEL_LAB] === ANY_LAB;
