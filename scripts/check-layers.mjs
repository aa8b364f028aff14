#!/usr/bin/env node
// The layering dependency-cruiser cannot state alone (.dependency-cruiser.cjs has the rest): no cycle
// between the lab server's folders (sessions → engine → sessions would let each reach into the other).
// Tests are left out: a test may use anything.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cruise } from 'dependency-cruiser';

// dependency-cruiser does not read Astro components: their imports of the lab server are checked here
// (the site speaks to it through lab-server/src/protocol only).
const astroFiles = (dir) =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? astroFiles(join(dir, e.name)) : e.name.endsWith('.astro') ? [join(dir, e.name)] : [],
  );
const astroViolations = astroFiles('site/src').flatMap((file) =>
  [...readFileSync(file, 'utf8').matchAll(/from\s+['"]([^'"]*lab-server\/[^'"]*)['"]/g)]
    .filter((m) => !/lab-server\/src\/protocol\//.test(m[1]))
    .map((m) => `${file} → ${m[1]}`),
);
if (astroViolations.length) {
  console.error('check-layers: the site reaches the lab server only through lab-server/src/protocol:');
  for (const v of astroViolations) console.error(`  ${v}`);
  process.exit(1);
}

const result = await cruise(['lab-server/src'], {
  tsPreCompilationDeps: true,
  doNotFollow: { path: 'node_modules' },
  tsConfig: { fileName: 'tsconfig.json' },
});
const folder = (path) => /^lab-server\/src\/([^/]+)\//.exec(path)?.[1];
const edges = new Map();
const why = new Map();
for (const module of result.output.modules) {
  if (module.source.endsWith('.test.ts')) continue;
  const from = folder(module.source);
  for (const dependency of module.dependencies) {
    const to = folder(dependency.resolved);
    if (!from || !to || from === to) continue;
    if (!edges.has(from)) edges.set(from, new Set());
    edges.get(from).add(to);
    why.set(`${from}>${to}`, `${module.source} → ${dependency.resolved}`);
  }
}
// Tarjan's strongly connected components: any component of two folders or more is a cycle.
let index = 0;
const stack = [];
const state = new Map();
const cycles = [];
const visit = (v) => {
  state.set(v, { index, low: index, onStack: true });
  index++;
  stack.push(v);
  for (const w of edges.get(v) ?? []) {
    if (!state.has(w)) {
      visit(w);
      state.get(v).low = Math.min(state.get(v).low, state.get(w).low);
    } else if (state.get(w).onStack) state.get(v).low = Math.min(state.get(v).low, state.get(w).index);
  }
  if (state.get(v).low === state.get(v).index) {
    const component = [];
    let w;
    do {
      w = stack.pop();
      state.get(w).onStack = false;
      component.push(w);
    } while (w !== v);
    if (component.length > 1) cycles.push(component);
  }
};
for (const v of edges.keys()) if (!state.has(v)) visit(v);
if (cycles.length) {
  for (const cycle of cycles) {
    console.error(`check-layers: the folders ${cycle.join(', ')} import each other in a cycle:`);
    for (const a of cycle)
      for (const b of cycle) if (why.has(`${a}>${b}`)) console.error(`  ${why.get(`${a}>${b}`)}`);
  }
  process.exit(1);
}
console.log(`check-layers: ${edges.size} folders of lab-server/src, no cycle between them`);
