/**
 * `<dockside-lab>`: enhances the server-rendered sandbox panel of a lesson page. It renders the page's
 * LabSession (lab-session.ts): Start, progress, errors, expiry warnings, one tab per node with its
 * state, ports and actions, and the terminals themselves, which it loads (xterm and all) only once
 * the sandbox is starting.
 */

import { pageTranslator, type Translate, type UiKey } from '../../utils/ui-strings.ts';
import type { NodeView, SessionView } from './api-client.ts';
import { browserTabId, el, formatTime, refs } from './dom.ts';
import { renderLabError } from './lab-error-view.ts';
import { LabNotices } from './lab-notices.ts';
import { type LabSession, type LabSnapshot, pageLab, type TerminalHost } from './lab-session.ts';
import type { TerminalState, TerminalView } from './terminal-view.ts';

type TerminalModule = typeof import('./terminal-view.ts');

const REFS = [
  'state',
  'stop',
  'fullscreen',
  'fullscreenLabel',
  'expand',
  'expandLabel',
  'confirm',
  'confirmYes',
  'confirmNo',
  'expiry',
  'expiryText',
  'extend',
  'diskWarning',
  'error',
  'notice',
  'intro',
  'introText',
  'start',
  'startLabel',
  'progress',
  'progressBar',
  'progressText',
  'elapsed',
  'workspace',
  'tabs',
  'addNode',
  'nodeInfo',
  'ports',
  'restart',
  'kill',
  'searchOpen',
  'copy',
  'paste',
  'search',
  'searchInput',
  'searchPrev',
  'searchClose',
  'terminals',
  'termStatus',
  'termStatusText',
  'termAction',
] as const;

interface NodeTab {
  name: string;
  tab: HTMLButtonElement;
  panel: HTMLElement;
  screen: HTMLElement;
  view?: TerminalView;
  state?: TerminalState;
  nodeState: string;
}

let terminalModule: Promise<TerminalModule> | undefined;
const loadTerminals = () => {
  // A failed load (a network change cancels it) is forgotten, so the next terminal asks again.
  terminalModule ??= import('./terminal-view.ts').catch((err: unknown) => {
    terminalModule = undefined;
    throw err;
  });
  return terminalModule;
};

/** The line under the terminals for a terminal's state, and the label of its button (which reconnects). */
function termStatus(
  state: TerminalState | undefined,
  node: string,
  t: Translate,
): [text: string, action?: string] {
  switch (state?.kind) {
    case 'connecting':
      return [t('term.connecting', { node })];
    case 'connected':
      return [t('term.connected', { node })];
    case 'reconnecting':
      return [t('term.reconnecting', { s: Math.ceil(state.inMs / 1000) }), t('term.reconnectNow')];
    case 'exited':
      return [t('term.exited', { node, reason: state.reason }), t('term.newShell')];
    case 'replaced':
      return [t('term.replaced'), t('term.takeBack')];
    case 'failed':
      return [t('term.failed', { node, reason: state.reason }), t('lab.retry')];
    default:
      return [''];
  }
}

class DocksideLab extends HTMLElement implements TerminalHost {
  #lab!: LabSession;
  #r!: Record<(typeof REFS)[number], HTMLElement>;
  #t = pageTranslator();
  #lang = document.documentElement.lang || 'en';
  #nodes = new Map<string, NodeTab>();
  #selected = 'node1';
  #tabId = browserTabId();
  #elapsedTimer: number | undefined;
  #notices!: LabNotices;
  #focusOnConnect = false;
  #busy = false;

  connectedCallback(): void {
    const lab = pageLab();
    if (!lab) return;
    this.#lab = lab;
    this.#r = refs(this, REFS);
    this.#notices = new LabNotices({
      notice: this.#r.notice,
      diskBox: this.#r.diskWarning,
      t: this.#t,
      lang: this.#lang,
    });
    this.#selected = sessionStorage.getItem(this.#selectionKey()) ?? 'node1';
    lab.attachTerminals(this);
    lab.addEventListener('change', () => this.#render());
    lab.addEventListener('start-requested', () => this.#drawAttentionToStart());
    lab.addEventListener('lab-event', (e) => {
      // Events of a sandbox not (or no longer) shown are not news.
      if (this.#lab.snapshot.phase === 'ready') this.#notices.onEvent((e as CustomEvent).detail);
    });
    this.#wire();
    this.#r.start.removeAttribute('disabled');
    this.#r.fullscreen.hidden = false;
    this.#r.expand.hidden = false;
    this.#render();
    void lab.resume();
  }

  // --- TerminalHost: what code blocks and exercises use ---

  selectedNode(): string {
    return this.#selected;
  }

  type(node: string, text: string): void {
    const tab = this.#nodes.get(node);
    if (!tab) {
      this.#notices.say(this.#t('code.noNode', { node }));
      return;
    }
    this.#select(node, false);
    this.#expand(true);
    void this.#ensureTerminal(tab).then((view) => {
      // A shell that ended (or went to another browser tab) is reopened here; the text waits for it.
      const kind = view.state.kind;
      if (kind === 'exited' || kind === 'replaced' || kind === 'failed') view.reconnect();
      view.type(text);
      if (matchMedia('(pointer: fine)').matches) view.focus();
    });
  }

  // --- wiring ---

  #wire(): void {
    const r = this.#r;
    r.start.addEventListener('click', () => {
      this.#focusOnConnect = true;
      void loadTerminals();
      void this.#lab.start();
    });
    r.stop.addEventListener('click', () => {
      r.confirm.hidden = false;
      (r.confirmNo as HTMLButtonElement).focus();
    });
    r.confirmNo.addEventListener('click', () => {
      r.confirm.hidden = true;
      r.stop.focus();
    });
    r.confirmYes.addEventListener('click', () => {
      r.confirm.hidden = true;
      void this.#lab.stop().then(() => {
        if (!r.start.hidden) r.start.focus();
      });
    });
    r.extend.addEventListener('click', () =>
      this.#withBusy(r.extend, async () => {
        await this.#lab.extend();
        const until = this.#lab.snapshot.session?.expiresAt;
        if (until) this.#notices.say(this.#t('lab.extended', { time: formatTime(until, this.#lang) }));
      }),
    );
    r.fullscreen.addEventListener('click', () => this.#toggleFullscreen());
    r.expand.addEventListener('click', () => this.#expand(r.expand.getAttribute('aria-expanded') !== 'true'));
    r.addNode.addEventListener('click', () => this.#withBusy(r.addNode, () => this.#lab.addNode()));
    r.restart.addEventListener('click', () =>
      this.#withBusy(r.restart, async () => {
        const node = this.#selected;
        await this.#lab.restartNode(node);
        this.#nodes.get(node)?.view?.reconnect();
      }),
    );
    r.kill.addEventListener('click', () => this.#withBusy(r.kill, () => this.#lab.killNode(this.#selected)));
    r.tabs.addEventListener('keydown', (e) => this.#onTabKey(e));
    r.copy.addEventListener('click', async () => {
      const view = this.#nodes.get(this.#selected)?.view;
      if (view && (await view.copySelection())) this.#notices.say(this.#t('term.copy'));
      view?.focus();
    });
    r.paste.addEventListener('click', async () => {
      const view = this.#nodes.get(this.#selected)?.view;
      if (view && !(await view.paste())) this.#notices.say(this.#t('term.help'));
    });
    r.searchOpen.addEventListener('click', () => this.#openSearch());
    r.search.addEventListener('submit', (e) => {
      e.preventDefault();
      this.#nodes.get(this.#selected)?.view?.findNext((r.searchInput as HTMLInputElement).value);
    });
    r.searchInput.addEventListener('input', () => {
      const value = (r.searchInput as HTMLInputElement).value;
      const view = this.#nodes.get(this.#selected)?.view;
      if (value) view?.findNext(value);
      else view?.clearSearch();
    });
    r.searchInput.addEventListener('keydown', (e) => {
      if ((e as KeyboardEvent).key === 'Escape') this.#closeSearch();
    });
    r.searchPrev.addEventListener('click', () =>
      this.#nodes.get(this.#selected)?.view?.findPrevious((r.searchInput as HTMLInputElement).value),
    );
    r.searchClose.addEventListener('click', () => this.#closeSearch());
    r.termAction.addEventListener('click', () => {
      const tab = this.#nodes.get(this.#selected);
      tab?.view?.reconnect();
      tab?.view?.focus();
    });
  }

  // --- rendering the session ---

  #render(): void {
    const s = this.#lab.snapshot;
    const r = this.#r;
    const t = this.#t;
    this.dataset.phase = s.phase;
    r.state.textContent = t(`lab.state.${s.phase}` as UiKey);

    const active = s.phase === 'ready' || s.phase === 'starting' || s.phase === 'stopping';
    r.stop.hidden = !active || s.phase === 'stopping';
    if (!active) r.confirm.hidden = true;

    // Intro (not started, ended, failed to start): the Start button.
    const showIntro =
      s.phase === 'idle' ||
      s.phase === 'ended' ||
      s.phase === 'resuming' ||
      (s.phase === 'error' && !s.session);
    r.intro.hidden = !showIntro;
    (r.start as HTMLButtonElement).disabled = s.phase === 'resuming';
    r.startLabel.textContent = s.phase === 'ended' ? t('lab.startAgain') : t('lab.start');
    r.introText.textContent =
      s.phase === 'ended'
        ? t('lab.ended', { reason: t(`lab.ended.${s.endedReason ?? 'deleted'}` as UiKey) || '' })
        : t('lab.intro', { what: t(`lab.template.${this.#lab.template}` as UiKey) });
    if (s.phase === 'ended' && s.endedReason === 'failed') {
      r.introText.textContent = t('lab.startFailed');
    }

    this.#renderError(s);
    this.#renderProgress(s);
    this.#renderExpiry(s);

    r.workspace.hidden = s.phase !== 'ready' && !(s.phase === 'stopping' && this.#nodes.size > 0);
    if (s.phase === 'ready' && s.session) this.#renderNodes(s.session);
    if (s.phase !== 'ready' && s.phase !== 'stopping') this.#disposeTerminals();
  }

  #renderError(s: LabSnapshot): void {
    renderLabError(this.#r.error, s, {
      t: this.#t,
      retry: () => void (s.failedAction === 'resume' ? this.#lab.resume() : this.#lab.start()),
      say: (message) => this.#notices.say(message),
    });
  }

  #renderProgress(s: LabSnapshot): void {
    const r = this.#r;
    const starting = s.phase === 'starting';
    r.progress.hidden = !starting;
    window.clearInterval(this.#elapsedTimer);
    if (!starting) return;
    const total = Number(this.dataset.nodes) || 1;
    const swarm = this.#lab.template.startsWith('swarm');
    const up = Math.min(s.nodesUp, total);
    let text: string;
    if (!s.session) text = this.#t('lab.progress.create');
    else if (up < total) text = this.#t('lab.progress.nodes', { up, total });
    else text = swarm ? this.#t('lab.progress.swarm') : this.#t('lab.progress.nodes', { up, total });
    if (r.progressText.textContent !== text) r.progressText.textContent = text;
    const value = s.session ? 10 + (80 * up) / total : 5;
    (r.progressBar as HTMLProgressElement).value = value;
    const since = s.startingSince ?? Date.now();
    const tick = () => {
      r.elapsed.textContent = this.#t('lab.progress.elapsed', { s: Math.round((Date.now() - since) / 1000) });
    };
    tick();
    this.#elapsedTimer = window.setInterval(tick, 500);
  }

  #renderExpiry(s: LabSnapshot): void {
    const r = this.#r;
    if (!s.expiry || s.phase !== 'ready') {
      r.expiry.hidden = true;
      return;
    }
    const minutes = Math.max(1, Math.round((s.expiry.expiresAt - Date.now()) / 60_000));
    r.expiryText.textContent = this.#t('lab.expiry', {
      time: formatTime(s.expiry.expiresAt, this.#lang),
      minutes,
      reason: this.#t(s.expiry.reason === 'max-age' ? 'lab.expiry.max-age' : 'lab.expiry.idle'),
    });
    r.expiry.hidden = false;
  }

  #renderNodes(session: SessionView): void {
    const names = session.nodes.map((n) => n.name);
    for (const [name, tab] of this.#nodes) {
      if (!names.includes(name)) {
        tab.view?.dispose();
        tab.tab.remove();
        tab.panel.remove();
        this.#nodes.delete(name);
      }
    }
    for (const node of session.nodes) {
      let tab = this.#nodes.get(node.name);
      if (!tab) {
        tab = this.#createTab(node.name);
        this.#nodes.set(node.name, tab);
      }
      const wasDown = tab.nodeState !== 'running';
      tab.nodeState = node.state;
      this.#renderTab(tab, node);
      // A node back up after a restart: its shells ended with it, open new ones.
      if (wasDown && node.state === 'running' && tab.view) {
        const kind = tab.view.state.kind;
        if (kind === 'exited' || kind === 'reconnecting') tab.view.reconnect();
      }
    }
    // Keep tab order the same as the session's node order.
    for (const node of session.nodes) {
      const tab = this.#nodes.get(node.name);
      if (tab) this.#r.tabs.append(tab.tab);
    }
    if (!this.#nodes.has(this.#selected)) this.#selected = names[0] ?? 'node1';
    this.#select(this.#selected, false);

    const maxNodes = 9;
    this.#r.addNode.hidden = !('canAdd' in this.dataset) || session.nodes.length >= maxNodes;
  }

  #createTab(name: string): NodeTab {
    const id = `lab-tab-${name}`;
    const panelId = `lab-panel-${name}`;
    const tab = el('button', {
      type: 'button',
      role: 'tab',
      id,
      class: 'lab-tab',
      'aria-controls': panelId,
      'aria-selected': 'false',
      tabindex: '-1',
    });
    tab.addEventListener('click', () => this.#select(name, true));
    const screen = el('div', {
      class: 'lab-screen',
      role: 'group',
      'aria-label': this.#t('term.label', { node: name }),
      'aria-describedby': 'lab-term-help',
    });
    const panel = el(
      'div',
      { role: 'tabpanel', id: panelId, class: 'lab-tabpanel', 'aria-labelledby': id, hidden: true },
      screen,
    );
    this.#r.terminals.append(panel);
    return { name, tab, panel, screen, nodeState: 'running' };
  }

  #renderTab(tab: NodeTab, node: NodeView): void {
    const role = node.role === 'none' ? '' : this.#t(`lab.node.role.${node.role}` as UiKey);
    const state = this.#nodeState(node.state);
    tab.tab.dataset.state = node.state;
    tab.tab.replaceChildren(
      el('span', { class: 'lab-dot', 'aria-hidden': 'true' }),
      el('span', { class: 'lab-tab-name' }, node.name),
    );
    if (role) tab.tab.append(el('span', { class: 'lab-tab-role' }, role));
    tab.tab.append(el('span', { class: 'sr-only' }, `, ${state}`));
    if (tab.name === this.#selected) this.#renderNodeBar(node);
  }

  #nodeState(state: string): string {
    const known = ['running', 'exited', 'restarting', 'missing'];
    return known.includes(state) ? this.#t(`lab.node.state.${state}` as UiKey) : state;
  }

  #renderNodeBar(node: NodeView): void {
    const r = this.#r;
    const t = this.#t;
    const parts = [node.name, this.#nodeState(node.state)];
    if (node.role !== 'none') parts.push(t(`lab.node.role.${node.role}` as UiKey));
    if (node.address) parts.push(t('lab.node.address', { address: node.address }));
    if (node.disk) {
      const gib = (bytes: number) => (bytes / 2 ** 30).toFixed(1);
      parts.push(t('lab.node.disk', { used: gib(node.disk.usedBytes), cap: gib(node.disk.capBytes) }));
    }
    r.nodeInfo.textContent = parts.join(' · ');
    r.nodeInfo.dataset.state = node.state;
    const links = node.ports
      .filter((p) => p.previewUrl)
      .map((p) =>
        el(
          'a',
          {
            href: p.previewUrl,
            target: '_blank',
            rel: 'noopener',
            class: 'lab-port',
            title: t('lab.node.port.title', { port: p.port, node: node.name, image: p.image }),
            'data-port': p.port,
          },
          `${t('lab.node.port', { port: p.port })} ↗`,
        ),
      );
    r.ports.replaceChildren(
      ...(links.length
        ? [el('span', { class: 'lab-ports-label' }, `${t('lab.node.ports')}${t('colon')}`), ...links]
        : []),
    );
    r.restart.hidden = !('canRestart' in this.dataset);
    r.kill.hidden = !('canKill' in this.dataset) || node.state !== 'running';
    r.kill.title = t('lab.node.kill.title', { node: node.name });
  }

  #select(name: string, focusTerminal: boolean): void {
    const target = this.#nodes.get(name);
    if (!target) return;
    this.#selected = name;
    sessionStorage.setItem(this.#selectionKey(), name);
    for (const tab of this.#nodes.values()) {
      const on = tab.name === name;
      tab.tab.setAttribute('aria-selected', String(on));
      tab.tab.tabIndex = on ? 0 : -1;
      tab.panel.hidden = !on;
    }
    const node = this.#lab.snapshot.session?.nodes.find((n) => n.name === name);
    if (node) this.#renderNodeBar(node);
    if (this.#lab.ready) {
      void this.#ensureTerminal(target).then((view) => {
        view.fit();
        if (focusTerminal) view.focus();
      });
    }
    this.#renderTermStatus();
    document.dispatchEvent(new CustomEvent('dockside:node-selected', { detail: name }));
  }

  #onTabKey(event: KeyboardEvent): void {
    const names = [...this.#nodes.keys()];
    const index = names.indexOf(this.#selected);
    let next: number | undefined;
    if (event.key === 'ArrowRight') next = (index + 1) % names.length;
    else if (event.key === 'ArrowLeft') next = (index - 1 + names.length) % names.length;
    else if (event.key === 'Home') next = 0;
    else if (event.key === 'End') next = names.length - 1;
    if (next === undefined) return;
    event.preventDefault();
    const name = names[next];
    if (!name) return;
    this.#select(name, false);
    this.#nodes.get(name)?.tab.focus();
  }

  // --- terminals ---

  async #ensureTerminal(tab: NodeTab): Promise<TerminalView> {
    if (tab.view) return tab.view;
    const { TerminalView } = await loadTerminals();
    if (tab.view) return tab.view;
    const sessionId = this.#lab.sessionId;
    if (!sessionId) throw new Error('no sandbox');
    tab.view = new TerminalView({
      element: tab.screen,
      sessionId,
      node: tab.name,
      tab: this.#tabId,
      onState: (state) => {
        tab.state = state;
        if (tab.name === this.#selected) this.#renderTermStatus();
        if (state.kind === 'connected' && this.#focusOnConnect && tab.name === this.#selected) {
          this.#focusOnConnect = false;
          tab.view?.focus();
        }
        // A terminal that cannot connect may mean the sandbox is gone: ask the lab.
        if (state.kind === 'reconnecting' && state.attempt >= 2) void this.#lab.refresh();
      },
      onNotice: (message, hint) => this.#notices.say(hint ? `${message} ${hint}` : message),
      onSearchRequest: () => this.#openSearch(),
    });
    return tab.view;
  }

  #renderTermStatus(): void {
    const r = this.#r;
    const state = this.#nodes.get(this.#selected)?.state;
    const [text, action] = termStatus(state, this.#selected, this.#t);
    r.termStatus.dataset.kind = state?.kind ?? '';
    if (r.termStatusText.textContent !== text) r.termStatusText.textContent = text;
    r.termAction.hidden = !action;
    if (action) r.termAction.textContent = action;
  }

  #disposeTerminals(): void {
    for (const tab of this.#nodes.values()) {
      tab.view?.dispose();
      tab.tab.remove();
      tab.panel.remove();
    }
    this.#nodes.clear();
    this.#renderTermStatus();
  }

  #openSearch(): void {
    this.#r.search.hidden = false;
    (this.#r.searchInput as HTMLInputElement).select();
    this.#r.searchInput.focus();
  }

  #closeSearch(): void {
    this.#r.search.hidden = true;
    const view = this.#nodes.get(this.#selected)?.view;
    view?.clearSearch();
    view?.focus();
  }

  // --- layout ---

  #toggleFullscreen(): void {
    const on = !document.documentElement.classList.contains('lab-fullscreen');
    document.documentElement.classList.toggle('lab-fullscreen', on);
    this.#r.fullscreen.setAttribute('aria-pressed', String(on));
    this.#r.fullscreenLabel.textContent = this.#t(on ? 'lab.fullscreen.exit' : 'lab.fullscreen');
    this.#refit();
  }

  /** On a phone the panel is a sheet at the bottom of the screen; this opens or closes it. */
  #expand(open: boolean): void {
    this.toggleAttribute('data-expanded', open);
    this.#r.expand.setAttribute('aria-expanded', String(open));
    this.#r.expandLabel.textContent = this.#t(open ? 'lab.collapse' : 'lab.expand');
    this.#refit();
  }

  #refit(): void {
    requestAnimationFrame(() => {
      for (const tab of this.#nodes.values()) tab.view?.fit();
    });
  }

  #drawAttentionToStart(): void {
    const s = this.#lab.snapshot;
    this.#expand(true);
    if (s.phase === 'starting') return;
    const start = this.#r.start;
    start.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
    start.focus({ preventScroll: true });
    start.classList.remove('lab-attention');
    void start.offsetWidth;
    start.classList.add('lab-attention');
  }

  async #withBusy(button: HTMLElement, work: () => Promise<unknown>): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    button.setAttribute('aria-busy', 'true');
    button.setAttribute('disabled', '');
    try {
      await work();
    } finally {
      this.#busy = false;
      button.removeAttribute('aria-busy');
      button.removeAttribute('disabled');
    }
  }

  #selectionKey(): string {
    return `dockside:node:${this.dataset.lesson}`;
  }
}

customElements.define('dockside-lab', DocksideLab);
