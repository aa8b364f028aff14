// @ts-check
import { defineEcConfig } from '@astrojs/starlight/expressive-code';
import { pluginLabBlocks } from './src/integrations/ec-lab-blocks.mjs';

/**
 * Expressive Code (Starlight's code blocks, Shiki underneath). In this file rather than in
 * astro.config.mjs so that the `<Code>` component (exercise solutions) uses the same plugins.
 */
export default defineEcConfig({
  plugins: [pluginLabBlocks()],
  defaultProps: { wrap: false },
  frames: { removeCommentsWhenCopyingTerminalFrames: true },
});
