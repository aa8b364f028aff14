import { expect, type Locator, type Page } from '@playwright/test';

/**
 * A lesson page as the learner uses it: the sandbox panel, its node tabs and the terminal shown. The
 * terminal is read through xterm's DOM rows, which hold exactly what is on screen.
 */
export class LabPage {
  readonly page: Page;
  readonly panel: Locator;
  readonly state: Locator;

  constructor(page: Page) {
    this.page = page;
    this.panel = page.locator('dockside-lab');
    this.state = this.panel.locator('.lab-state');
  }

  async open(path: string): Promise<void> {
    await this.page.goto(path);
    await expect(this.panel).toHaveAttribute('data-phase', /idle|ended|ready/);
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
