import { LABEL_LAB, LABEL_ROLE } from '../images/labels.ts';

export { LABEL_LAB, LABEL_ROLE };
export const LABEL_SESSION = 'org.dockside.session';
export const LABEL_NODE = 'org.dockside.node';

/** Labels on everything a session owns: the reaper and the reconciler find sandboxes by them. */
export function sessionLabels(sessionId: string, extra: Record<string, string> = {}): Record<string, string> {
  return { [LABEL_LAB]: 'dockside', [LABEL_SESSION]: sessionId, ...extra };
}
