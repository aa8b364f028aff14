/**
 * Buttons on the lesson's lab code blocks (marked by the Expressive Code plugin in
 * src/integrations/ec-lab-blocks.mjs): "Run on node1" types a shell block into that node's terminal,
 * so the learner sees it run; "Create file on node1" writes a file block through the exec API.
 */

import { pageTranslator } from '../../utils/ui-strings.ts';
import { el } from './dom.ts';
import { asLabError, pageLab } from './lab-session.ts';

const t = pageTranslator();

/** The block's code, as its copy button has it (newlines are stored as U+007F there). */
function codeOf(figure: HTMLElement): string {
  const copy = figure.querySelector<HTMLElement>('.copy button[data-code]');
  if (copy?.dataset.code) return copy.dataset.code.replace(/\u007f/g, '\n');
  return figure.querySelector('pre')?.textContent ?? '';
}

function enhance(figure: HTMLElement): void {
  const lab = pageLab();
  const bar = figure.querySelector<HTMLElement>('.lab-actions');
  if (!lab || !bar || bar.childElementCount > 0) return;
  const fixedNode = figure.dataset.labNode;
  const file = figure.dataset.labFile;
  const status = el('span', { class: 'lab-action-status', role: 'status', 'aria-live': 'polite' });
  const button = el('button', { type: 'button', class: 'lab-btn lab-small lab-action' });
  const node = () => fixedNode ?? (file !== undefined ? 'node1' : lab.selectedNode());
  const label = () => {
    const icon = file !== undefined ? '⤓' : '▶';
    const text = file !== undefined ? t('code.write', { node: node() }) : t('code.runOn', { node: node() });
    button.replaceChildren(el('span', { 'aria-hidden': 'true' }, icon), ` ${text}`);
    if (file === undefined) button.title = t('code.runOn.title', { node: node() });
  };
  label();
  if (!fixedNode && file === undefined) document.addEventListener('dockside:node-selected', label);

  const say = (text: string, kind: 'ok' | 'error' | 'info') => {
    status.textContent = text;
    status.dataset.kind = kind;
  };

  button.addEventListener('click', async () => {
    if (!lab.ready) {
      say(t('code.startFirst'), 'info');
      lab.requestStart();
      return;
    }
    const code = codeOf(figure);
    if (file === undefined) {
      // Enter is a carriage return on a terminal; each line runs as if typed.
      lab.typeInto(node(), `${code.trimEnd().replace(/\r?\n/g, '\r')}\r`);
      say(t('code.typed', { node: node() }), 'ok');
      return;
    }
    button.setAttribute('aria-busy', 'true');
    button.setAttribute('disabled', '');
    try {
      const content = code.endsWith('\n') ? code : `${code}\n`;
      const result = await lab.exec(
        node(),
        ['sh', '-c', 'mkdir -p "$(dirname "$1")" && cat > "$1"', 'sh', file],
        content,
      );
      if (result.exitCode === 0) say(t('code.written', { path: file, node: node() }), 'ok');
      else {
        const reason =
          (result.stderr || result.stdout).trim().split('\n').pop() || `exit code ${result.exitCode}`;
        say(t('code.writeFailed', { path: file, reason }), 'error');
      }
    } catch (err) {
      const error = asLabError(err);
      say(
        t('code.writeFailed', {
          path: file,
          reason: error.hint ? `${error.message} ${error.hint}` : error.message,
        }),
        'error',
      );
    } finally {
      button.removeAttribute('aria-busy');
      button.removeAttribute('disabled');
    }
  });

  bar.append(button, status);
  bar.hidden = false;
}

for (const figure of document.querySelectorAll<HTMLElement>('figure[data-lab-run], figure[data-lab-file]')) {
  enhance(figure);
}
