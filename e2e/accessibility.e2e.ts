import { createRequire } from 'node:module';
import { expect, type Page, test } from '@playwright/test';
import { LabPage } from './lab-page.ts';

const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** WCAG 2.1 A and AA rules (contrast, labels, names, landmarks...), run by axe-core in the page. */
async function violations(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: axePath });
  const found = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: unknown, o: unknown) => Promise<unknown> } }).axe;
    const result = (await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    })) as { violations: AxeViolation[] };
    return result.violations;
  });
  return found.map(
    (v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
  );
}

const PAGES = [
  '/',
  '/fr/',
  '/swarm/',
  '/images/dockerfile-basics/',
  '/swarm/scale-a-service/',
  '/fr/history/chroot-to-containers/',
  '/kubernetes/from-swarm-to-kubernetes/',
  '/no/such/page',
];

for (const scheme of ['light', 'dark'] as const) {
  test(`every kind of page passes the WCAG A and AA rules in the ${scheme} theme`, async ({ page }) => {
    await page.emulateMedia({ colorScheme: scheme });
    const problems: string[] = [];
    for (const path of PAGES) {
      await page.goto(path);
      await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
      for (const v of await violations(page)) problems.push(`${path}: ${v}`);
    }
    expect(problems).toEqual([]);
  });
}

test('a lesson with its sandbox running and an exercise failed passes the same rules', async ({ page }) => {
  const lab = new LabPage(page);
  await lab.open('/history/chroot-to-containers/');
  await lab.start();
  const exercise = page.locator('dockside-exercise#exercise-chroot-file');
  await exercise.getByRole('button', { name: 'Check' }).click();
  await expect(exercise.locator('.exercise-result')).toContainText('Not yet', { timeout: 20_000 });
  expect(await violations(page)).toEqual([]);
  await lab.stop();
});

test('every control of a lesson page can be reached with the keyboard and shows its focus', async ({
  page,
}) => {
  await page.goto('/images/dockerfile-basics/');
  const wanted = ['Start sandbox', 'Run on node1', 'Create file on node1', 'Check'];
  const reached = new Set<string>();
  const all = () => wanted.every((c) => [...reached].some((label) => label.includes(c)));
  for (let i = 0; i < 250 && !all(); i++) {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      if (!el || el === document.body) return undefined;
      const style = getComputedStyle(el);
      const visible = style.outlineStyle !== 'none' && style.outlineWidth !== '0px';
      return { label: (el.getAttribute('aria-label') ?? el.textContent ?? '').trim().slice(0, 40), visible };
    });
    if (!focused) continue;
    expect(focused.visible, `focus ring on "${focused.label}"`).toBe(true);
    reached.add(focused.label);
  }
  for (const control of wanted) {
    expect(
      [...reached].some((label) => label.includes(control)),
      `${control} reachable by Tab`,
    ).toBe(true);
  }
});
