import { expect, type Locator, type Page } from '@playwright/test';

/**
 * A lesson page as the learner uses it: the sandbox panel, its node tabs and the terminal shown. The
 * terminal is read through xterm's DOM rows, which hold exactly what is on screen.
 */
export class LabPage {
  readonly page: Page;
  readonly panel: Locator;
  readonly state: Locator;

  #networkChanged = false;

  constructor(page: Page) {
    this.page = page;
    this.panel = page.locator('dockside-lab');
    this.state = this.panel.locator('.lab-state');
    page.on('requestfailed', (r) => {
      if (r.failure()?.errorText === 'net::ERR_NETWORK_CHANGED') this.#networkChanged = true;
    });
  }

  /** Opens a lesson page with its sandbox panel. */
  async open(path: string): Promise<void> {
    await this.goto(path);
    await expect(this.panel).toHaveAttribute('data-phase', /idle|ended|ready/);
  }

  /** Opens any page of the site (see #load). */
  async goto(path: string): Promise<void> {
    await this.#load(() => this.page.goto(path));
  }

  /** Reloads the page, as a learner pressing F5. */
  async reload(): Promise<void> {
    await this.#load(() => this.page.reload());
  }

  /**
   * Loads a page, again if the host's network changed meanwhile: Chromium cancels a page's requests
   * (ERR_NETWORK_CHANGED) when an interface of its host gains an address, as a sandbox's bridge and
   * veths on this same machine do a moment after they appear. A browser on another machine never sees
   * it; a learner here would reload.
   */
  async #load(go: () => Promise<unknown>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      this.#networkChanged = false;
      await go();
      if (!this.#networkChanged || attempt === 3) return;
    }
  }

  /** Presses Start and waits until the sandbox is ready and the first terminal is attached. */
  async start(): Promise<void> {
    await this.panel.getByRole('button', { name: 'Start sandbox' }).click();
    await expect(this.state).toContainText(/Starting|Ready/);
    await this.waitReady();
  }

  async waitReady(): Promise<void> {
    await expect(this.panel).toHaveAttribute('data-phase', 'ready', { timeout: 120_000 });
    await expect(this.panel.locator('.lab-termstatus')).toContainText(/Connected to node\d/, {
      timeout: 30_000,
    });
  }

  /** The rows of the terminal currently shown. */
  get screen(): Locator {
    return this.panel.locator('.lab-tabpanel:not([hidden]) .xterm-rows');
  }

  /** Types a line into the terminal shown, as a person would, and presses Enter. */
  async type(line: string): Promise<void> {
    await this.panel.locator('.lab-tabpanel:not([hidden]) .xterm-screen').click();
    await this.page.keyboard.type(line);
    await this.page.keyboard.press('Enter');
  }

  tab(node: string): Locator {
    return this.panel.getByRole('tab', { name: new RegExp(`^${node}\\b`) });
  }

  async stop(): Promise<void> {
    await this.panel.getByRole('button', { name: 'Stop', exact: true }).click();
    await this.panel.getByRole('button', { name: 'Remove' }).click();
    await expect(this.panel).toHaveAttribute('data-phase', 'idle', { timeout: 60_000 });
  }
}
