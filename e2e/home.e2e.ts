import { expect, test } from '@playwright/test';

test('the home page says what Dockside is and shows the lab ready', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Learn containers by doing');
  await expect(page.getByRole('status')).toContainText(/Lab ready: Docker \d+\.\d+/);
  await page.screenshot({ path: 'test-results/screenshots/home-1280x720.png' });
});

test('the French home page exists and links back to English', async ({ page }) => {
  await page.goto('/fr/');
  await expect(page.locator('html')).toHaveAttribute('lang', 'fr');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Apprendre les conteneurs en pratiquant');
  await expect(page.getByRole('link', { name: 'English' })).toHaveAttribute('href', '/');
});

test('an unknown page gets the site 404 page', async ({ page }) => {
  const response = await page.goto('/no/such/lesson');
  expect(response?.status()).toBe(404);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Page not found');
});

test('the health endpoint reports the engine, the images, IPVS and the wrapper', async ({ request }) => {
  const response = await request.get('/api/health');
  expect(response.status()).toBe(200);
  const health = await response.json();
  expect(health.status).toBe('ready');
  expect(health.engine.version).toMatch(/^\d+\.\d+/);
  expect(typeof health.engine.owned).toBe('boolean');
  expect(typeof health.ipvs).toBe('boolean');
  expect(health.capabilityWrapper).toBe(true);
  expect(health.droppedCapabilities).toEqual(expect.arrayContaining(['CAP_SYS_MODULE', 'CAP_SYS_RAWIO']));
  const names = health.images.map((i: { name: string; tag: string }) => `${i.name}:${i.tag}`);
  expect(names).toEqual(expect.arrayContaining(['dockside/node:latest', 'dockside/lessons/nginx:latest']));
  const published = health.images.flatMap((i: { publish: string[] }) => i.publish);
  expect(published).toEqual(expect.arrayContaining(['library/nginx:latest', 'library/redis:latest']));
});

test('unknown API routes answer JSON that names the route', async ({ request }) => {
  const response = await request.get('/api/nope');
  expect(response.status()).toBe(404);
  expect((await response.json()).message).toContain('/api/nope');
});
