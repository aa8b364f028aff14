/**
 * `<dockside-lab-status>`: polls GET /api/health (503 with JSON while the lab starts) and says whether
 * the lab can run sandboxes: engine version, images, and whether IPVS (Swarm's routing mesh) exists.
 */

import { pageTranslator } from '../utils/ui-strings.ts';
import { type LabHealth, labApi } from './lab/api-client.ts';
import { el, refs } from './lab/dom.ts';

type Listener = (health: LabHealth | undefined) => void;
const listeners = new Set<Listener>();
let last: LabHealth | undefined | null = null;
let timer: number | undefined;

/** One poller for the page, however many status elements there are. */
async function poll(): Promise<void> {
  window.clearTimeout(timer);
  // Unreachable: the status says "lab offline".
  last = await labApi.health().catch(() => undefined);
  for (const listener of listeners) listener(last);
  const delay =
    last?.status === 'ready'
      ? 60_000
      : last?.status === 'starting' || last?.status === 'recovering'
        ? 3000
        : 15_000;
  timer = window.setTimeout(() => {
    if (document.visibilityState === 'visible') void poll();
    else timer = undefined;
  }, delay);
}
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible' && timer === undefined) void poll();
});

class LabStatus extends HTMLElement {
  connectedCallback(): void {
    const t = pageTranslator();
    const { label, panel } = refs(this, ['label', 'panel']);
    this.hidden = false;
    const render = (health: LabHealth | undefined) => {
      if (!health) {
        this.dataset.state = 'offline';
        label.textContent = t('status.offline');
        panel.replaceChildren(el('p', {}, t('status.offline.detail')));
        return;
      }
      this.dataset.state = health.status;
      label.textContent = t(
        health.status === 'ready'
          ? 'status.ready'
          : health.status === 'starting'
            ? 'status.starting'
            : health.status === 'recovering'
              ? 'status.recovering'
              : 'status.failed',
      );
      const lines: (string | undefined)[] = [];
      if (health.status !== 'ready' && health.detail) lines.push(health.detail);
      if (health.engine) {
        lines.push(
          `${t('status.engine', { version: health.engine.version })} (${t(
            health.engine.owned ? 'status.engine.owned' : 'status.engine.existing',
          )})`,
        );
      }
      if (health.images?.length) lines.push(t('status.images', { n: health.images.length }));
      if (health.status === 'ready') lines.push(t(health.ipvs ? 'status.ipvs.yes' : 'status.ipvs.no'));
      if (health.security) {
        lines.push(t('status.profile', { name: health.security.name, n: health.security.promises.length }));
      }
      panel.replaceChildren(...lines.filter(Boolean).map((line) => el('p', {}, line as string)));
    };
    listeners.add(render);
    if (last !== null) render(last);
    else if (listeners.size === 1) void poll();
  }
}

customElements.define('dockside-lab-status', LabStatus);
