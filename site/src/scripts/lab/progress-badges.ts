/**
 * Progress shown around the site: `<dockside-lesson-progress>` (a lesson's status), `<dockside-track-progress>`
 * (lessons done in a track), `<dockside-read-marker>` (mark a lesson without exercises as read), and a
 * check mark on the sidebar links of finished lessons. All read progress-store.ts; the lab server's
 * record (GET /api/progress) is merged in once per page when the lab answers.
 */

import { pageTranslator } from '../../utils/ui-strings.ts';
import { labApi } from './api-client.ts';
import { el } from './dom.ts';
import { progress } from './progress-store.ts';

const t = pageTranslator();
const list = (value: string | undefined) => (value ? value.split(',').filter(Boolean) : []);

class LessonProgress extends HTMLElement {
  #off: (() => void) | undefined;
  connectedCallback(): void {
    this.#off = progress.subscribe(() => this.#render());
    this.#render();
  }
  disconnectedCallback(): void {
    this.#off?.();
  }
  #render(): void {
    const exercises = list(this.dataset.exercises);
    const { status, done, total } = progress.status(this.dataset.lesson ?? '', exercises);
    this.dataset.status = status;
    let text: string;
    if (status === 'done') text = total === 0 ? `✓ ${t('progress.read')}` : `✓ ${t('progress.done')}`;
    else if (total > 0) text = t('progress.partial', { done, total });
    else text = t('progress.new');
    this.textContent = text;
  }
}

class TrackProgress extends HTMLElement {
  connectedCallback(): void {
    progress.subscribe(() => this.#render());
    this.#render();
  }
  #render(): void {
    const lessons = JSON.parse(this.dataset.lessons ?? '[]') as { id: string; exercises: string[] }[];
    const done = lessons.filter((l) => progress.status(l.id, l.exercises).status === 'done').length;
    this.dataset.status = done === lessons.length && done > 0 ? 'done' : done > 0 ? 'partial' : 'new';
    this.textContent = t('progress.lessons', { done, total: lessons.length });
  }
}

class ReadMarker extends HTMLElement {
  connectedCallback(): void {
    const button = this.querySelector('button');
    const lesson = this.dataset.lesson ?? '';
    if (!button || !lesson) return;
    const render = () => {
      const read = progress.status(lesson, []).status === 'done';
      button.setAttribute('aria-pressed', String(read));
      button.textContent = read ? `✓ ${t('lesson.readDone')}` : t('lesson.read');
    };
    button.disabled = false;
    button.addEventListener('click', () => {
      if (button.getAttribute('aria-pressed') !== 'true') progress.markRead(lesson);
    });
    progress.subscribe(render);
    render();
  }
}

/** Marks finished lessons in the sidebar (links carry the lesson's path). */
function markSidebar(): void {
  const data = document.querySelector<HTMLElement>('script[data-dockside-lessons]');
  if (!data) return;
  const lessons = JSON.parse(data.textContent ?? '[]') as { id: string; exercises: string[] }[];
  const done = new Set(
    lessons.filter((l) => progress.status(l.id, l.exercises).status === 'done').map((l) => l.id),
  );
  for (const link of document.querySelectorAll<HTMLAnchorElement>(
    'nav.sidebar a[href], .lessons-dialog a[href]',
  )) {
    const id = new URL(link.href).pathname.replace(/^\/(fr\/)?/, '').replace(/\/$/, '');
    const mark = link.querySelector('.sidebar-done');
    if (done.has(id) && !mark) {
      link.append(
        el(
          'span',
          { class: 'sidebar-done', title: t('progress.done') },
          el('span', { 'aria-hidden': 'true' }, ' ✓'),
          el('span', { class: 'sr-only' }, ` (${t('progress.done')})`),
        ),
      );
    } else if (!done.has(id)) mark?.remove();
  }
}

let merged = false;
/** Adds the lab server's record of this learner's checks, when it has one. */
async function mergeServerProgress(): Promise<void> {
  if (merged) return;
  merged = true;
  // The lab is unreachable: the badges show this browser's own record.
  const entries = await labApi.progress().catch(() => []);
  if (entries.length > 0) progress.merge(entries);
}

customElements.define('dockside-lesson-progress', LessonProgress);
customElements.define('dockside-track-progress', TrackProgress);
customElements.define('dockside-read-marker', ReadMarker);
progress.subscribe(markSidebar);
markSidebar();
void mergeServerProgress();
