/**
 * `<lab-layout>`: the split between a lesson and its sandbox (drag it, or focus it and use the arrow
 * keys; Home/End jump to the limits; double-click resets), remembered in localStorage, and the lessons
 * menu dialog.
 */
import { refs } from './lab/dom.ts';

const KEY = 'dockside:split';
const MIN = 25;
const MAX = 75;
const DEFAULT = 45;

class LabLayout extends HTMLElement {
  connectedCallback(): void {
    const { splitter, dialog, menu, close } = refs(this, ['splitter', 'dialog', 'menu', 'close']);
    const set = (percent: number, save: boolean) => {
      const value = Math.round(Math.min(MAX, Math.max(MIN, percent)));
      this.style.setProperty('--lesson-width', `${value}%`);
      splitter.setAttribute('aria-valuenow', String(value));
      if (save) {
        try {
          localStorage.setItem(KEY, String(value));
        } catch {
          // The split lasts for this page only.
        }
      }
    };
    set(Number(localStorage.getItem(KEY)) || DEFAULT, false);

    splitter.addEventListener('pointerdown', (event) => {
      if (event.button !== 0) return;
      event.preventDefault();
      splitter.setPointerCapture(event.pointerId);
      this.toggleAttribute('data-resizing', true);
      const box = this.getBoundingClientRect();
      const move = (e: PointerEvent) => set(((e.clientX - box.left) / box.width) * 100, false);
      const up = (e: PointerEvent) => {
        splitter.releasePointerCapture(e.pointerId);
        splitter.removeEventListener('pointermove', move);
        splitter.removeEventListener('pointerup', up);
        this.toggleAttribute('data-resizing', false);
        set(Number(splitter.getAttribute('aria-valuenow')), true);
      };
      splitter.addEventListener('pointermove', move);
      splitter.addEventListener('pointerup', up);
    });
    splitter.addEventListener('keydown', (event) => {
      const now = Number(splitter.getAttribute('aria-valuenow')) || DEFAULT;
      const step = event.shiftKey ? 10 : 2;
      const next: Record<string, number> = {
        ArrowLeft: now - step,
        ArrowRight: now + step,
        Home: MIN,
        End: MAX,
      };
      const value = next[event.key];
      if (value === undefined) return;
      event.preventDefault();
      set(value, true);
    });
    splitter.addEventListener('dblclick', () => set(DEFAULT, true));

    const modal = dialog as HTMLDialogElement;
    menu.addEventListener('click', () => {
      modal.showModal();
      modal.querySelector<HTMLElement>('[aria-current="page"]')?.scrollIntoView({ block: 'center' });
    });
    close.addEventListener('click', () => modal.close());
    // A click on the backdrop (outside the dialog's box) closes it.
    modal.addEventListener('click', (event) => {
      const box = modal.getBoundingClientRect();
      const inside =
        event.clientX >= box.left &&
        event.clientX <= box.right &&
        event.clientY >= box.top &&
        event.clientY <= box.bottom;
      if (!inside) modal.close();
    });
    modal.addEventListener('close', () => menu.focus());
  }
}

customElements.define('lab-layout', LabLayout);
