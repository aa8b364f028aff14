/**
 * Stands in for `@pagefind/default-ui` (astro.config.mjs aliases it here). Starlight builds its search
 * box with `new PagefindUI(...)` as soon as a page is idle, which costs every page 27 KiB of gzipped
 * script that most readers never use. This keeps Starlight's options and builds the real search box
 * the first time the search dialog opens (Starlight marks the body with `data-search-modal-open`,
 * whether the button or Ctrl+K opened it), so a lesson page stays within its JavaScript budget.
 */
type Options = { element: string } & Record<string, unknown>;

const OPEN = 'data-search-modal-open';

export class PagefindUI {
  constructor(options: Options) {
    let loading = false;
    const build = () => {
      if (loading) return;
      loading = true;
      observer.disconnect();
      void import('@pagefind/default-ui/npm_dist/mjs/ui-core.mjs').then(({ PagefindUI: Real }) => {
        // Starlight focused the input before it existed: Pagefind focuses its own once drawn.
        new Real({ ...options, autofocus: true });
      });
    };
    const observer = new MutationObserver(() => {
      if (document.body.hasAttribute(OPEN)) build();
    });
    observer.observe(document.body, { attributes: true, attributeFilter: [OPEN] });
    if (document.body.hasAttribute(OPEN)) build();
  }
}
