import { expect, test } from '@playwright/test';

test('the home page says what Dockside is, lists the tracks and shows the lab ready', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Learn containers by doing');
  await expect(page.getByText(/open-source, self-hosted lab/)).toBeVisible();
  const tracks = page.locator('.track-card');
  await expect(tracks).toHaveCount(8);
  await expect(tracks.first()).toContainText('History');
  await expect(page.locator('dockside-lab-status summary').first()).toContainText('Lab ready');
  // The details say which engine answers and whether Swarm's routing mesh can work.
  await page.locator('dockside-lab-status summary').first().click();
  await expect(page.locator('.lab-status-panel').first()).toContainText(/Docker Engine \d+\.\d+/);
  await expect(page.locator('.lab-status-panel').first()).toContainText(/IPVS/);
  await expect(page.locator('.lab-status-panel').first()).toContainText(
    /Security profile “trusted”: \d+ isolation promises/,
  );
});

test('a track page lists its lessons in order and links to them', async ({ page }) => {
  await page.goto('/');
  await page.getByRole('link', { name: 'Swarm' }).click();
  await expect(page).toHaveURL(/\/swarm\/$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Swarm');
  await page.locator('.lesson-list').getByRole('link', { name: 'Services on a Swarm' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Services on a Swarm');
  await expect(page.getByText('Sandbox: a Swarm of three machines').first()).toBeVisible();
});

test('lessons have previous and next links across tracks', async ({ page }) => {
  await page.goto('/images/dockerfile-basics/');
  await expect(page.getByRole('link', { name: /Previous.*From chroot/ })).toHaveAttribute(
    'href',
    '/history/chroot-to-containers/',
  );
  await expect(page.getByRole('link', { name: /Next.*Labels and filters/ })).toBeVisible();
});

test('search finds a lesson by what it teaches', async ({ page }) => {
  await page.goto('/');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.locator('.pagefind-ui__search-input').fill('digest');
  await expect(page.locator('.pagefind-ui__result-link').first()).toBeVisible();
  await expect(page.locator('.pagefind-ui__results')).toContainText('Names, tags, digests');
});

test('the French home page exists and the language menu goes back to English', async ({ page }) => {
  await page.goto('/fr/');
  await expect(page.locator('html')).toHaveAttribute('lang', 'fr');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Apprendre les conteneurs en pratiquant');
  await page
    .getByRole('combobox', { name: /langue|language/i })
    .first()
    .selectOption({ label: 'English' });
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Learn containers by doing');
});

test('an unknown page gets the site 404 page', async ({ page }) => {
  const response = await page.goto('/no/such/lesson');
  expect(response?.status()).toBe(404);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Page not found');
  await expect(page.getByRole('link', { name: 'All tracks and lessons' })).toHaveAttribute('href', '/');
});

test('a lesson is readable without JavaScript', async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto('/images/dockerfile-basics/');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Your first Dockerfile');
  // The sandbox cannot work without JavaScript: the lesson takes the whole width instead.
  await expect(page.locator('dockside-lab')).toBeHidden();
  await expect(page.locator('.exercise-noscript').first()).toContainText(
    'Checking an exercise needs JavaScript',
  );
  // Hints and solutions are closed disclosures, still there to open.
  await page.locator('summary', { hasText: 'Hint 1' }).first().click();
  await expect(page.getByText(/Start the Dockerfile with/)).toBeVisible();
  await context.close();
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
