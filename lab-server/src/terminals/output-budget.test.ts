import { describe, expect, it } from 'vitest';
import { OutputBudget } from './output-budget.ts';

/** 1000 B/s with a 1000 B burst, on a clock the test moves by hand. */
function budgetOnClock(options: { interactiveBytes: number }) {
  const clock = { now: 0 };
  const budget = new OutputBudget({
    bytesPerSecond: 1000,
    burstBytes: 1000,
    interactiveBytes: options.interactiveBytes,
    clock: () => clock.now,
  });
  return { budget, clock };
}

describe('output budget', () => {
  it('lets a burst through, then makes an overdrawn reader wait for the refill', async () => {
    const budget = new OutputBudget({ bytesPerSecond: 1024 * 1024, burstBytes: 256 * 1024 });
    expect(budget.spend(200 * 1024)).toBe(true);
    expect(budget.spend(312 * 1024)).toBe(false); // 256 KiB overdrawn: a quarter of a second.
    const t0 = performance.now();
    await new Promise<void>((resolve) => budget.wait(resolve));
    const waited = performance.now() - t0;
    expect(waited).toBeGreaterThan(200);
    expect(waited).toBeLessThan(1000);
    budget.dispose();
  });

  it('serves waiters in turn, and a cancelled one never resumes', async () => {
    const budget = new OutputBudget({ bytesPerSecond: 4 * 1024 * 1024, burstBytes: 64 * 1024 });
    expect(budget.spend(128 * 1024)).toBe(false);
    const order: string[] = [];
    const done = new Promise<void>((resolve) => {
      budget.wait(() => order.push('first'));
      const cancel = budget.wait(() => order.push('cancelled'));
      budget.wait(() => {
        order.push('third');
        resolve();
      });
      cancel();
    });
    await done;
    expect(order).toEqual(['first', 'third']);
    expect(budget.waiting).toBe(0);
    budget.dispose();
  });

  it('refills up to the burst only', () => {
    const { budget, clock } = budgetOnClock({ interactiveBytes: 0 });
    clock.now = 60_000; // A minute of silence saves no more than the burst.
    expect(budget.spend(1000)).toBe(true);
    expect(budget.spend(1)).toBe(false);
    budget.dispose();
  });
});

describe('output budget and interactive readers', () => {
  it('never throttles a reader that streamed little lately, even when floods overdrew the budget', () => {
    const { budget, clock } = budgetOnClock({ interactiveBytes: 100 });
    const flood = {};
    const typist = {};
    expect(budget.spend(5000, flood)).toBe(false);
    // A keystroke echo: a few bytes, allowed at once.
    expect(budget.spend(3, typist)).toBe(true);
    clock.now += 500;
    expect(budget.spend(3, typist)).toBe(true);
    // The flood stays throttled while it keeps overdrawing.
    expect(budget.spend(10, flood)).toBe(false);
    // A typist who starts dumping a file becomes a flood too.
    expect(budget.spend(5000, typist)).toBe(false);
    budget.dispose();
  });
});
