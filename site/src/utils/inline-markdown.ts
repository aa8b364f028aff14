/** Escapes HTML, then renders `code spans` and **bold**: enough for exercise goals and hints. */
export function inlineMarkdownHtml(text: string): string {
  const escapeHtml = (s: string) =>
    s.replace(
      /[&<>"']/g,
      (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
    );
  return text
    .split(/(`[^`]+`|\*\*[^*]+\*\*)/)
    .map((part) => {
      if (part.startsWith('`') && part.endsWith('`') && part.length > 1)
        return `<code>${escapeHtml(part.slice(1, -1))}</code>`;
      if (part.startsWith('**') && part.endsWith('**') && part.length > 3)
        return `<strong>${escapeHtml(part.slice(2, -2))}</strong>`;
      return escapeHtml(part);
    })
    .join('');
}
