import { mkdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, type Page, test } from '@playwright/test';
import { LabPage } from './lab-page.ts';

const folder = join(dirname(fileURLToPath(import.meta.url)), '..', 'screenshots');
mkdirSync(folder, { recursive: true });

const sizes = [
  { name: '1280x720', viewport: { width: 1280, height: 720 } },
  { name: '390x844', viewport: { width: 390, height: 844 } },
] as const;

async function shot(page: Page, name: string, size: string): Promise<void> {
  // Let fonts, the lab status and the progress badges settle.
  await page.evaluate(() => document.fonts.ready);
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(folder, `${name}-${size}.png`) });
}

for (const size of sizes) {
  test.describe(`at ${size.name}`, () => {
    test.use({ viewport: size.viewport, colorScheme: 'dark' });

    test('reading pages', async ({ page }) => {
      const pages: [string, string][] = [
        ['home', '/'],
        ['home-fr', '/fr/'],
        ['track', '/images/'],
        ['lesson', '/images/dockerfile-basics/'],
        ['lesson-fr', '/fr/history/chroot-to-containers/'],
        ['lesson-read-only', '/kubernetes/from-swarm-to-kubernetes/'],
        ['not-found', '/no/such/page'],
      ];
      for (const [name, path] of pages) {
        await page.goto(path);
        await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
        await shot(page, name, size.name);
      }
      await page.goto('/images/dockerfile-basics/');
      await page.getByRole('button', { name: 'Lessons' }).click();
      await expect(page.getByRole('dialog')).toBeVisible();
      await shot(page, 'lessons-menu', size.name);
    });

    test('a lesson with its sandbox running', async ({ page }) => {
      const lab = new LabPage(page);
      await lab.open('/history/chroot-to-containers/');
      const open = page.getByRole('button', { name: 'Open sandbox' });
      if (await open.isVisible()) await open.click();
      await lab.start();
      const block = page.locator('figure[data-lab-run]').filter({ hasText: 'cat /etc/motd' }).first();
      await block.getByRole('button', { name: 'Run on node1' }).click();
      await expect(lab.screen).toContainText('this directory is now "/"');
      await lab.type('docker run --rm --hostname box busybox sh -c "hostname; ps"');
      await expect(lab.screen).toContainText('PID', { timeout: 60_000 });
      await shot(page, 'lesson-running', size.name);

      const exercise = page.locator('dockside-exercise#exercise-chroot-file');
      await exercise.getByRole('button', { name: 'Check' }).click();
      await expect(exercise.locator('.exercise-result')).toContainText(/Not yet|could not run/, {
        timeout: 20_000,
      });
      await exercise.scrollIntoViewIfNeeded();
      await shot(page, 'exercise-failed', size.name);

      await page.emulateMedia({ colorScheme: 'light' });
      await page.evaluate(() => localStorage.setItem('starlight-theme', 'light'));
      await page.reload();
      await lab.waitReady();
      await shot(page, 'lesson-running-light', size.name);
      await page.evaluate(() => localStorage.removeItem('starlight-theme'));

      if (size.viewport.width >= 800) {
        await page.getByRole('button', { name: 'Full screen' }).click();
        await shot(page, 'terminal-full-screen', size.name);
        await page.getByRole('button', { name: 'Exit full screen' }).click();
      }
      await lab.stop();
    });
  });
}

test.afterAll(() => {
  console.log(`screenshots written to ${relative(process.cwd(), folder) || folder}/`);
});
