/**
 * Times the steps of one piece of work, each from the end of the one before: `done('network')`, then
 * `done('nodes')`, ... leaves `phases` as `{ network: 12, nodes: 840 }` (whole milliseconds).
 */
export function phaseClock(): { phases: Record<string, number>; done: (phase: string) => void } {
  const phases: Record<string, number> = {};
  let mark = performance.now();
  return {
    phases,
    done(phase) {
      const now = performance.now();
      phases[phase] = Math.round(now - mark);
      mark = now;
    },
  };
}
