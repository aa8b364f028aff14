// @ts-check
import mdx from '@astrojs/mdx';
import { defineConfig } from 'astro/config';

// A static site: the lab server serves site/dist and the API from the same origin.
export default defineConfig({
  integrations: [mdx()],
  i18n: {
    defaultLocale: 'en',
    locales: ['en', 'fr'],
    routing: { prefixDefaultLocale: false },
  },
  build: { format: 'directory' },
  trailingSlash: 'ignore',
});
