/**
 * `<dockside-exercise>`: the Check button of one exercise, its result in the learner's terms, hints
 * revealed one by one after failed checks, and the solution when the hints ran out. Progress is kept
 * in localStorage (progress-store.ts), so a reload or a new sandbox keeps what was done.
 */

import { pageTranslator } from '../../utils/ui-strings.ts';
import type { CheckEventData, SessionEvent } from './api-client.ts';
import { refs } from './dom.ts';
import { asLabError, pageLab } from './lab-session.ts';
import { progress } from './progress-store.ts';

const REFS = [
  'badge',
  'checkRow',
  'check',
  'result',
  'hints',
  'moreHint',
  'showSolution',
  'solution',
] as const;

class DocksideExercise extends HTMLElement {
  #t = pageTranslator();
  #r!: Record<(typeof REFS)[number], HTMLElement>;
  #lesson = '';
  #exercise = '';
  #hintCount = 0;
  #checking = false;

  connectedCallback(): void {
    this.#r = refs(this, REFS);
    this.#lesson = this.dataset.lesson ?? '';
    this.#exercise = this.dataset.exercise ?? '';
    this.#hintCount = Number(this.dataset.hints) || 0;
    const lab = pageLab();
    if (!lab || !this.#lesson || !this.#exercise) return;
    this.#r.checkRow.hidden = false;
    this.#r.check.addEventListener('click', () => void this.#check());
    this.#r.moreHint.addEventListener('click', () => {
      const shown = this.#shownHints() + 1;
      progress.setHints(this.#lesson, this.#exercise, shown);
      this.#render();
      this.querySelector<HTMLElement>(`details[data-hint="${shown - 1}"] summary`)?.focus();
    });
    this.#r.showSolution.addEventListener('click', () => {
      progress.showSolution(this.#lesson, this.#exercise);
      this.#render();
      (this.#r.solution as HTMLDetailsElement).open = true;
      this.#r.solution.querySelector('summary')?.focus();
    });
    progress.subscribe(() => this.#render());
    if (this.hasAttribute('data-watch')) {
      lab.addEventListener('lab-event', (e) => this.#onLabEvent((e as CustomEvent<SessionEvent>).detail));
    }
    this.#render();
  }

  /** A pass found by the lab's watcher (a `check` event with `watched`): green without a click. */
  #onLabEvent(event: SessionEvent): void {
    if (event.type !== 'check') return;
    const data = event.data as Partial<CheckEventData>;
    if (!data.watched || !data.passed || data.lesson !== this.#lesson || data.exercise !== this.#exercise) {
      return;
    }
    if (progress.lesson(this.#lesson).exercises[this.#exercise]?.passed) return;
    progress.recordCheck(this.#lesson, this.#exercise, true, Number(data.attempts) || 1);
    const colon = this.#t('colon');
    this.#say(`✓ ${this.#t('ex.passed')}${colon} ${data.reason ?? ''} (${this.#t('ex.watched')})`, 'pass');
    this.#render();
  }

  #shownHints(): number {
    return Math.min(this.#hintCount, progress.lesson(this.#lesson).hints[this.#exercise] ?? 0);
  }

  #render(): void {
    const mine = progress.lesson(this.#lesson);
    const state = mine.exercises[this.#exercise];
    const shown = this.#shownHints();
    const passed = state?.passed === true;
    const failedOnce = (state?.attempts ?? 0) > 0 && !passed;
    this.#r.badge.hidden = !passed;
    this.toggleAttribute('data-passed', passed);
    // Hints: only those the learner has earned (or asked for) are visible; the newest one is open.
    for (const details of this.querySelectorAll<HTMLDetailsElement>('details[data-hint]')) {
      const index = Number(details.dataset.hint);
      const visible = index < shown;
      if (details.hidden && visible && index === shown - 1) details.open = true;
      details.hidden = !visible;
    }
    const more = this.#r.moreHint;
    more.hidden = !(failedOnce || passed) || shown >= this.#hintCount;
    more.textContent = this.#t('ex.hint.more', { n: shown + 1, total: this.#hintCount });
    const solutionShown = mine.solutions[this.#exercise] === true;
    this.#r.solution.hidden = !solutionShown;
    this.#r.showSolution.hidden = solutionShown || shown < this.#hintCount || !(failedOnce || passed);
  }

  async #check(): Promise<void> {
    const lab = pageLab();
    if (!lab || this.#checking) return;
    const { check } = this.#r;
    if (!lab.ready) {
      this.#say(this.#t('ex.startFirst'), 'info');
      lab.requestStart();
      return;
    }
    this.#checking = true;
    check.setAttribute('aria-busy', 'true');
    check.setAttribute('disabled', '');
    this.#say(this.#t('ex.checking'), 'busy');
    try {
      const answer = await lab.check(this.#exercise);
      const before = progress.lesson(this.#lesson).exercises[this.#exercise];
      progress.recordCheck(this.#lesson, this.#exercise, answer.passed, answer.attempts);
      if (!answer.passed) {
        // Each failure earns the next hint.
        const attempts = (before?.attempts ?? 0) + 1;
        progress.setHints(this.#lesson, this.#exercise, Math.min(this.#hintCount, attempts));
      }
      const colon = this.#t('colon');
      const head = answer.passed
        ? `✓ ${this.#t('ex.passed')}${colon} `
        : `✗ ${this.#t('ex.failed')}${colon} `;
      this.#say(`${head}${answer.reason}`, answer.passed ? 'pass' : 'fail');
    } catch (err) {
      const error = asLabError(err);
      const message = error.hint ? `${error.message} ${error.hint}` : error.message;
      this.#say(this.#t('ex.checkError', { message }), 'error');
    } finally {
      this.#checking = false;
      check.removeAttribute('aria-busy');
      check.removeAttribute('disabled');
      this.#render();
    }
  }

  #say(text: string, kind: 'info' | 'busy' | 'pass' | 'fail' | 'error'): void {
    this.#r.result.textContent = text;
    this.#r.result.dataset.kind = kind;
  }
}

customElements.define('dockside-exercise', DocksideExercise);
