#!/usr/bin/env node
// No silent failures: a caught error is logged with its context, turned into a state the user sees, or
// left alone for a reason written next to it. This flags every catch that drops its error
// (`.catch(() => undefined)`, `catch {`) without a `//` comment on its line or the line above, in the
// lab server's and the site's code (tests and runners may drop what they do not judge).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const roots = ['lab-server/src', 'site/src'];
const files = (dir) =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? files(join(dir, e.name))
      : /\.(ts|astro)$/.test(e.name) && !e.name.endsWith('.test.ts')
        ? [join(dir, e.name)]
        : [],
  );
// `.catch(() => value)`, an empty catch block, or `catch {` (no binding: the error cannot be used).
const dropping =
  /\.catch\(\s*\(\)\s*=>\s*(undefined|null|false|\[\]|\{\s*\})\s*\)|\bcatch\s*(\(\s*\w*\s*\))?\s*\{\s*\}|\bcatch\s*\{\s*$/;
const silent = [];
let total = 0;
for (const file of roots.flatMap(files)) {
  const lines = readFileSync(file, 'utf8').split('\n');
  lines.forEach((line, i) => {
    if (!dropping.test(line)) return;
    total++;
    // The reason may sit on the line, above it, or as the first line of the catch block.
    const near = [lines[i - 1], line, lines[i + 1]].join('\n');
    if (!/\/\/|\/\*/.test(near)) silent.push(`${file}:${i + 1}: ${line.trim()}`);
  });
}
if (silent.length) {
  console.error(`check-catches: ${silent.length} caught errors are dropped without a word of why:`);
  for (const s of silent) console.error(`  ${s}`);
  console.error('Log them with their context (session, node, operation), show them, or say why they may go.');
  process.exit(1);
}
console.log(`check-catches: ${total} errors dropped on purpose, each with its reason`);
