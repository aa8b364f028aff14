/** Small DOM helpers for the lab's custom elements. */

type Child = Node | string | null | undefined | false;

/** Creates an element: `el('a', { href, class: 'x' }, 'text')`. `undefined` attributes are left out. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number | boolean | undefined> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children) if (child) element.append(child);
  return element;
}

/** The elements marked `data-ref="name"` inside `root`, by name. Throws when one is missing. */
export function refs<T extends string>(root: HTMLElement, names: readonly T[]): Record<T, HTMLElement> {
  const out = {} as Record<T, HTMLElement>;
  for (const name of names) {
    const found = root.querySelector<HTMLElement>(`[data-ref="${name}"]`);
    if (!found) throw new Error(`<${root.localName}> has no [data-ref="${name}"]`);
    out[name] = found;
  }
  return out;
}

/** Renders `code spans` and **bold** of a short text, escaping everything else. */
export function inlineMarkdown(text: string): DocumentFragment {
  const fragment = document.createDocumentFragment();
  for (const part of text.split(/(`[^`]+`|\*\*[^*]+\*\*)/)) {
    if (!part) continue;
    if (part.startsWith('`') && part.endsWith('`')) fragment.append(el('code', {}, part.slice(1, -1)));
    else if (part.startsWith('**') && part.endsWith('**'))
      fragment.append(el('strong', {}, part.slice(2, -2)));
    else fragment.append(part);
  }
  return fragment;
}

/** A random id for this browser tab (letters and digits), kept in sessionStorage across reloads. */
export function browserTabId(): string {
  const key = 'dockside:tab';
  try {
    const existing = sessionStorage.getItem(key);
    if (existing && /^[A-Za-z0-9_-]{8,64}$/.test(existing)) return existing;
    const id =
      `t${Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(36).padStart(2, '0')).join('')}`.slice(
        0,
        24,
      );
    sessionStorage.setItem(key, id);
    return id;
  } catch {
    // Storage blocked (private mode): one shell for every tab.
    return 'default';
  }
}

export function formatTime(at: number, lang: string): string {
  return new Date(at).toLocaleTimeString(lang, { hour: '2-digit', minute: '2-digit' });
}

/** A size as a person reads it, in the page's language: MiB below one GiB, GiB with one decimal. */
export function formatSize(bytes: number, lang: string): string {
  const fr = lang.startsWith('fr');
  if (bytes < 2 ** 30) return `${Math.max(0, Math.round(bytes / 2 ** 20))} ${fr ? 'Mio' : 'MiB'}`;
  const gib = (bytes / 2 ** 30).toLocaleString(lang, { maximumFractionDigits: 1, minimumFractionDigits: 1 });
  return `${gib} ${fr ? 'Gio' : 'GiB'}`;
}
