import { expect, test } from '@playwright/test';
import { LabPage } from './lab-page.ts';

test.use({ viewport: { width: 390, height: 844 } });

test('on a phone, the sandbox sheet folds to its bar, and Stop there asks and removes', async ({ page }) => {
  const lab = new LabPage(page);
  await lab.open('/history/chroot-to-containers/');
  const open = page.getByRole('button', { name: 'Open sandbox' });
  if (await open.isVisible()) await open.click();
  await lab.start();
  // Folded to its bar, as a learner reading the lesson leaves it.
  const fold = lab.panel.locator('[data-ref="expand"]');
  if ((await fold.getAttribute('aria-expanded')) === 'true') await fold.click();
  await expect(fold).toHaveAttribute('aria-expanded', 'false');
  await expect(lab.panel.locator('.lab-body')).toBeHidden();
  // The bar's Stop asks first; its Remove must be there to press (it was hidden with the sheet).
  await lab.stop();
});
