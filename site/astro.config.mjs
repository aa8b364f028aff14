// @ts-check
import { fileURLToPath } from 'node:url';
import starlight from '@astrojs/starlight';
import { defineConfig } from 'astro/config';
import { lessonSidebar } from './src/integrations/lesson-sidebar.ts';

const lessonsDir = fileURLToPath(new URL('../lessons/', import.meta.url));

/**
 * The lesson site: static, served by the lab server next to its API (same origin). Lessons come from
 * the repository's `lessons/` folder (see src/content.config.ts); English is the root locale, French
 * lives under /fr/.
 */
export default defineConfig({
  site: 'http://localhost:4000',
  build: { format: 'directory' },
  trailingSlash: 'ignore',
  integrations: [
    starlight({
      title: 'Dockside',
      description: 'Learn containers by doing: lessons next to live terminals on your own Docker machines.',
      // The title is written next to the logo: an alt text would say it twice.
      logo: { src: './src/assets/logo.svg', alt: '' },
      favicon: '/favicon.svg',
      defaultLocale: 'root',
      locales: {
        root: { label: 'English', lang: 'en' },
        fr: { label: 'Français', lang: 'fr' },
      },
      sidebar: lessonSidebar(lessonsDir),
      // One file per component, in cascade order (later files may refine earlier ones).
      customCss: [
        'base.css',
        'buttons.css',
        'lab-status.css',
        'lab-layout.css',
        'lab-panel.css',
        'code-actions.css',
        'lesson-facts.css',
        'exercises.css',
        'home.css',
        'narrow.css',
        'no-js.css',
      ].map((file) => `./src/styles/${file}`),
      // Starlight's remark/rehype plugins (asides, heading links) only touch files under these folders.
      markdown: { processedDirs: ['../lessons'] },
      routeMiddleware: './src/route-middleware.ts',
      disable404Route: true,
      lastUpdated: false,
      pagination: true,
      tableOfContents: { minHeadingLevel: 2, maxHeadingLevel: 3 },
      components: {
        PageTitle: './src/components/overrides/PageTitle.astro',
        TwoColumnContent: './src/components/overrides/TwoColumnContent.astro',
        MarkdownContent: './src/components/overrides/MarkdownContent.astro',
        SocialIcons: './src/components/overrides/SocialIcons.astro',
      },
    }),
  ],
  vite: {
    // The site imports the lab server's protocol types and templates (one source of truth).
    server: { fs: { allow: ['..'] } },
    resolve: {
      // Pagefind's search box loads when the search dialog first opens, not on every page.
      alias: [
        {
          find: /^@pagefind\/default-ui$/,
          replacement: fileURLToPath(new URL('./src/scripts/search-on-open.ts', import.meta.url)),
        },
      ],
    },
  },
});
