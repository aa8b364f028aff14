/**
 * The panel's error box: what went wrong in the learner's words, what to do, a Retry when an action
 * failed, and, when the learner holds too many sandboxes, the others with a Stop button each.
 */
import type { Translate } from '../../utils/ui-strings.ts';
import type { SessionView } from './api-client.ts';
import { el } from './dom.ts';
import type { LabSnapshot } from './lab-session.ts';

export function renderLabError(
  box: HTMLElement,
  s: LabSnapshot,
  ui: { t: Translate; retry: () => void; say: (message: string) => void },
): void {
  const error = s.error;
  if (!error) {
    box.hidden = true;
    box.replaceChildren();
    return;
  }
  const { t } = ui;
  const unreachable = error.code === 'LabUnreachable';
  const message = unreachable ? t('lab.unreachable') : error.message;
  const hint = unreachable ? t('lab.unreachable.hint') : error.hint;
  box.replaceChildren(el('p', {}, el('strong', {}, message)));
  if (hint) box.append(el('p', {}, hint));
  if (s.phase === 'error') {
    const retry = el('button', { type: 'button', class: 'lab-btn' }, t('lab.retry'));
    retry.addEventListener('click', ui.retry);
    box.append(retry);
  }
  if (error.code === 'TooManySessions') void listOtherSessions(box, ui);
  box.hidden = false;
}

/** Too many sandboxes: the learner's others, each with a Stop button. */
async function listOtherSessions(box: HTMLElement, ui: { t: Translate; say: (message: string) => void }) {
  const { labApi } = await import('./api-client.ts');
  // Not listed: the error above still says what to do.
  const sessions = await labApi.listSessions().catch(() => [] as SessionView[]);
  if (sessions.length === 0 || box.hidden) return;
  const list = el('ul', { class: 'lab-others' });
  for (const session of sessions) {
    const ago = Math.max(1, Math.round((Date.now() - session.createdAt) / 60_000));
    const stop = el('button', { type: 'button', class: 'lab-btn lab-small' }, ui.t('lab.stop'));
    stop.addEventListener('click', async () => {
      stop.setAttribute('disabled', '');
      try {
        await labApi.deleteSession(session.id);
        stop.closest('li')?.remove();
      } catch (err) {
        // Still listed, with why it could not be stopped.
        stop.removeAttribute('disabled');
        ui.say(err instanceof Error ? err.message : String(err));
      }
    });
    list.append(
      el('li', {}, ui.t('lab.others.item', { template: session.template, ago: `${ago} min` }), ' ', stop),
    );
  }
  box.append(el('p', {}, ui.t('lab.others')), list);
}
