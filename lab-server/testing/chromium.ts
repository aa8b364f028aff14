/**
 * How every browser tool here starts Debian's Chromium: Playwright (e2e, screenshots) and Lighthouse.
 * A downloaded browser cannot work on these machines; the background-networking flags keep Chromium
 * from calling out to a network that refuses it.
 */
export const CHROMIUM_PATH = process.env.CHROME_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
