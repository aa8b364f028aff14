/**
 * What the sandbox panel says about its sandbox as things happen: a short notice that fades (a node
 * went down, and why; the engine is back), and the standing line of each node in its disk grace
 * window (how much to free, by when, the biggest files). Fed by the session's events.
 */
import type { NodeDiskWarningData } from '../../../../lab-server/src/protocol/events.ts';
import type { Translate, UiKey } from '../../utils/ui-strings.ts';
import { el, formatSize, formatTime } from './dom.ts';

export class LabNotices {
  readonly #notice: HTMLElement;
  readonly #diskBox: HTMLElement;
  readonly #t: Translate;
  readonly #lang: string;
  #timer: number | undefined;
  /** The node whose stop was last explained (out of memory, disk cap), and when. */
  #explained: { node: string; at: number } | undefined;
  /** Nodes restarted over their files cap, in their grace window: what the lab said about each. */
  readonly #diskWarnings = new Map<string, NodeDiskWarningData>();

  constructor(options: { notice: HTMLElement; diskBox: HTMLElement; t: Translate; lang: string }) {
    this.#notice = options.notice;
    this.#diskBox = options.diskBox;
    this.#t = options.t;
    this.#lang = options.lang;
  }

  /** Shows a line for six seconds. */
  say(text: string): void {
    this.#notice.textContent = text;
    window.clearTimeout(this.#timer);
    this.#timer = window.setTimeout(() => {
      this.#notice.textContent = '';
    }, 6000);
  }

  /** Reacts to one of the session's events (docs/api.md). */
  onEvent(event: { type: string; data: Record<string, unknown> }): void {
    const t = this.#t;
    const node = typeof event.data?.node === 'string' ? event.data.node : '';
    const about = (key: UiKey) => {
      // Said why a node stopped: the plain "down" that arrives next must not hide it.
      this.#explained = { node, at: Date.now() };
      this.say(`${node}${t('colon')} ${t(key)}`);
    };
    if (event.type === 'node-down') {
      const explained = this.#explained?.node === node && Date.now() - this.#explained.at < 5000;
      if (!explained) this.say(`${node}${t('colon')} ${t('lab.node.state.exited')}`);
    }
    if (event.type === 'node-oom') about('lab.node.oom');
    if (event.type === 'node-disk-full') about('lab.node.diskFull');
    if (event.type === 'node-disk-warning')
      this.#diskWarnings.set(node, event.data as unknown as NodeDiskWarningData);
    if (event.type === 'node-disk-ok') this.say(`${node}${t('colon')} ${t('lab.node.diskOk')}`);
    if (['node-disk-ok', 'node-disk-full', 'node-removed'].includes(event.type))
      this.#diskWarnings.delete(node);
    if (event.type.startsWith('node-disk-') || event.type === 'node-removed') this.#renderDiskWarnings();
    if (event.type === 'engine-down') this.say(t('lab.engine.down'));
    if (event.type === 'engine-restarted') this.say(t('lab.engine.back'));
  }

  /** One line per node in its grace window: how much to free, by when, and the biggest files. */
  #renderDiskWarnings(): void {
    const size = (bytes: number) => formatSize(bytes, this.#lang);
    const lines = [...this.#diskWarnings].map(([node, w]) =>
      el(
        'p',
        {},
        this.#t('lab.disk.warning', {
          node,
          used: size(w.usedBytes),
          cap: size(w.capBytes),
          free: size(w.freeBytes),
          time: formatTime(w.graceEndsAt, this.#lang),
          files: w.largest.map((f) => `${f.path} (${size(f.bytes)})`).join(', ') || '—',
        }),
      ),
    );
    this.#diskBox.replaceChildren(...lines);
    this.#diskBox.hidden = lines.length === 0;
  }
}
