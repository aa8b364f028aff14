import { gzipSync } from 'node:zlib';
import { expect, test } from '@playwright/test';
import { LabPage } from './lab-page.ts';

const CHROOT = '/history/chroot-to-containers/';

test('a lesson reads without JavaScript-heavy parts and starts nothing until asked', async ({ page }) => {
  const scripts: Promise<number>[] = [];
  const sockets: string[] = [];
  page.on('websocket', (ws) => sockets.push(ws.url()));
  page.on('response', (response) => {
    if (response.request().resourceType() === 'script') {
      scripts.push(response.body().then((body) => gzipSync(body).length));
    }
  });
  const sessionsCreated: string[] = [];
  page.on('request', (request) => {
    if (request.method() === 'POST' && request.url().includes('/api/sessions'))
      sessionsCreated.push(request.url());
  });

  const lab = new LabPage(page);
  await lab.open(CHROOT);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('From chroot (1979) to containers');
  await expect(page.getByRole('button', { name: 'Start sandbox' })).toBeEnabled();
  await page.waitForLoadState('networkidle');

  // Nothing runs before Start: no sandbox, no socket, no terminal code.
  expect(sessionsCreated).toEqual([]);
  expect(sockets).toEqual([]);
  await expect(page.locator('.xterm')).toHaveCount(0);
  const gzipped = (await Promise.all(scripts)).reduce((a, b) => a + b, 0);
  console.log(`lesson page JavaScript before Start: ${(gzipped / 1024).toFixed(1)} KiB gzipped`);
  // The budget every later feature lives within: what is not used up front loads when it is used.
  expect(gzipped, `JavaScript before Start: ${gzipped} bytes gzipped`).toBeLessThanOrEqual(40 * 1024);

  // The lesson's commands, exercises and hints are all on the page.
  await expect(page.getByRole('heading', { name: 'Exercises' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Run on node1' }).first()).toBeVisible();

  // xterm.js arrives with Start, not before.
  await lab.start();
  await expect(page.locator('.xterm')).toHaveCount(1);
  const withTerminal = (await Promise.all(scripts)).reduce((a, b) => a + b, 0);
  console.log(
    `lesson page JavaScript with the terminal open: ${(withTerminal / 1024).toFixed(1)} KiB gzipped`,
  );
  expect(withTerminal).toBeGreaterThan(gzipped);
  await lab.stop();
});

test('start a sandbox, type in its terminal and run lesson blocks in it', async ({ page }) => {
  const lab = new LabPage(page);
  await lab.open(CHROOT);
  await lab.start();
  await expect(lab.tab('node1')).toHaveAttribute('aria-selected', 'true');

  // The shell answers what is typed, computed on the node.
  await lab.type('echo "sum=$((6*7))" && hostname');
  await expect(lab.screen).toContainText('sum=42');
  await expect(lab.screen).toContainText(/node1/);

  // A runnable block types itself into the terminal.
  const block = page.locator('figure[data-lab-run]').filter({ hasText: 'ls /srv/chroot' }).first();
  await block.getByRole('button', { name: 'Run on node1' }).click();
  await expect(block.locator('.lab-action-status')).toHaveText('Typed into node1.');
  // busybox's applets, one name a command, are the chroot's /bin.
  await expect(lab.screen).toContainText('/srv/chroot/bin:');
  await expect(lab.screen).toContainText('adjtimex');

  // The chroot block enters the busybox root file system and leaves it again.
  const chroot = page.locator('figure[data-lab-run]').filter({ hasText: 'cat /etc/motd' }).first();
  await chroot.getByRole('button', { name: 'Run on node1' }).click();
  await expect(lab.screen).toContainText('this directory is now "/"');

  await lab.stop();
  await expect(page.locator('.xterm')).toHaveCount(0);
});

test('a node that writes past its disk cap is stopped, and the learner is told why', async ({ page }) => {
  const lab = new LabPage(page);
  await lab.open(CHROOT);
  await lab.start();
  // Docker storage inside the node has a size of its own, shown with the node.
  await expect(lab.panel.locator('.lab-nodeinfo')).toContainText(/Docker storage \d+\.\d of \d+\.\d GiB/, {
    timeout: 15_000,
  });
  // Its own files (outside /var/lib/docker) are watched: past the cap, the node stops and says why.
  await lab.type('dd if=/dev/zero of=/root/big bs=1M count=400');
  await expect(lab.panel.locator('.lab-notice')).toContainText(
    'node1: stopped: its own files passed the disk cap',
    { timeout: 30_000 },
  );
  await expect(lab.tab('node1')).toContainText('down');
  await page.screenshot({ path: test.info().outputPath('disk-cap-notice.png') });
  await lab.stop();
});

test('a file block writes its file on the node', async ({ page }) => {
  const lab = new LabPage(page);
  await lab.open('/images/dockerfile-basics/');
  const block = page.locator('figure[data-lab-file="/root/hello/Dockerfile"]');
  // Before Start, the button says what to do instead of failing silently.
  await block.getByRole('button', { name: 'Create file on node1' }).click();
  await expect(block.locator('.lab-action-status')).toContainText('Start the sandbox first');

  await lab.start();
  await block.getByRole('button', { name: 'Create file on node1' }).click();
  await expect(block.locator('.lab-action-status')).toHaveText('Saved /root/hello/Dockerfile on node1.');
  await lab.type('cat /root/hello/Dockerfile | head -1; echo "lines=$(wc -l < /root/hello/Dockerfile)"');
  await expect(lab.screen).toContainText('FROM debian');
  await expect(lab.screen).toContainText('lines=3');
  await lab.stop();
});

test('an nginx started in the sandbox opens as a web preview', async ({ page, context }) => {
  const lab = new LabPage(page);
  await lab.open('/networking/user-defined-networks/');
  await lab.start();
  await lab.type('docker run -d --name preview -p 8080:80 nginx && echo "started-$((40+2))"');
  await expect(lab.screen).toContainText('started-42', { timeout: 90_000 });

  // The session view lists the published port with its preview address.
  const link = lab.panel.getByRole('link', { name: /port 8080/ });
  await expect(link).toBeVisible({ timeout: 20_000 });
  const [preview] = await Promise.all([context.waitForEvent('page'), link.click()]);
  await preview.waitForLoadState();
  await expect(preview.getByRole('heading', { level: 1 })).toHaveText('Welcome to nginx!');
  await preview.close();
  await lab.stop();
});

test('a reload finds the same sandbox and the same shell', async ({ page }) => {
  const lab = new LabPage(page);
  await lab.open(CHROOT);
  await lab.start();
  await lab.type('export MARK=kept-$((3*5)); echo "mark is $MARK"');
  await expect(lab.screen).toContainText('mark is kept-15');

  await lab.reload();
  // No Start pressed: the page finds the sandbox it remembered and reattaches to the same shell,
  // which replays its recent output and still has the variable.
  await lab.waitReady();
  await expect(lab.screen).toContainText('mark is kept-15');
  await lab.type('echo "again $MARK"');
  await expect(lab.screen).toContainText('again kept-15');
  await lab.stop();

  // Once stopped, a reload offers Start again.
  await lab.reload();
  await expect(page.getByRole('button', { name: 'Start sandbox' })).toBeEnabled();
  await expect(lab.panel).toHaveAttribute('data-phase', 'idle');
});

test('an exercise checks the sandbox, gives hints after a failure, and is remembered when done', async ({
  page,
}) => {
  const lab = new LabPage(page);
  await lab.open(CHROOT);
  const exercise = page.locator('dockside-exercise#exercise-chroot-file');
  const result = exercise.locator('.exercise-result');
  // Hints are earned, not shown up front.
  const firstHint = exercise.locator('summary', { hasText: 'Hint 1' });
  await expect(firstHint).toBeHidden();

  await lab.start();
  await exercise.getByRole('button', { name: 'Check' }).click();
  await expect(result).toContainText(/Not yet: .*hello\.txt/, { timeout: 20_000 });
  await expect(firstHint).toBeVisible();
  await expect(exercise.getByRole('button', { name: 'Show hint 2 of 2' })).toBeVisible();

  // The keystrokes reach the shell over the WebSocket and the check over HTTP: see the command done
  // before checking (the marker is computed by the shell, so the typed line never matches it).
  await lab.type("chroot /srv/chroot sh -c 'echo 1979 > /hello.txt' && echo wrote-$((1+1))");
  await expect(lab.screen).toContainText('wrote-2', { timeout: 20_000 });
  await exercise.getByRole('button', { name: 'Check' }).click();
  await expect(result).toContainText('Done', { timeout: 20_000 });
  await expect(exercise.locator('.exercise-badge')).toBeVisible();

  // The track page shows the progress, kept in this browser.
  await lab.goto('/history/');
  await expect(page.locator('dockside-lesson-progress').first()).toHaveText('1 of 2 exercises done');

  await lab.open(CHROOT);
  await lab.waitReady();
  await lab.stop();
});

test('a watched exercise turns green by itself once the sandbox is right', async ({ page }) => {
  const lab = new LabPage(page);
  await lab.open('/images/dockerfile-basics/');
  const exercise = page.locator('dockside-exercise#exercise-build-image');
  await expect(exercise.locator('.exercise-watch')).toContainText('Checked as you work');
  await lab.start();
  // The learner builds the image in the terminal and never presses Check.
  await lab.type('mkdir -p /root/hello && cd /root/hello');
  await lab.type(
    'printf \'FROM debian\\nRUN apt-get update && apt-get install -y figlet\\nENTRYPOINT ["figlet"]\\n\' > Dockerfile',
  );
  await lab.type('docker build -q -t hello:1.0 . && echo "built-$((20+1))"');
  await expect(lab.screen).toContainText('built-21', { timeout: 120_000 });
  await expect(exercise.locator('.exercise-badge')).toBeVisible({ timeout: 20_000 });
  await expect(exercise.locator('.exercise-result')).toContainText('checked automatically');
  // The exercise that is not watched waits for its Check button.
  await expect(page.locator('dockside-exercise#exercise-label-image .exercise-badge')).toBeHidden();
  await lab.stop();
});

test('the French lesson and its sandbox panel speak French', async ({ page }) => {
  await page.goto('/fr/history/chroot-to-containers/');
  await expect(page.locator('html')).toHaveAttribute('lang', 'fr');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('De chroot (1979) aux conteneurs');
  await expect(page.getByRole('button', { name: 'Démarrer' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Exercices' })).toBeVisible();
});
