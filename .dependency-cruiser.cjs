/**
 * The project's layering, checked by `npm run lint` (dependency-cruiser). scripts/check-layers.mjs adds
 * what it cannot say: no cycle between the lab server's folders.
 */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'Modules may not import each other in a cycle.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'protocol-is-a-leaf',
      comment:
        'lab-server/src/protocol is the one boundary between the site and the lab: it imports nothing of the lab server, no Node built-in (the browser loads it), and no package but zod.',
      severity: 'error',
      from: { path: '^lab-server/src/protocol/' },
      to: { pathNot: ['^lab-server/src/protocol/', '^node_modules/zod/'] },
    },
    {
      name: 'site-speaks-protocol-only',
      comment: 'The site reaches the lab server only through lab-server/src/protocol.',
      severity: 'error',
      from: { path: '^site/' },
      to: { path: '^lab-server/', pathNot: '^lab-server/src/protocol/' },
    },
    {
      name: 'e2e-speaks-protocol-only',
      comment: 'Browser tests use the protocol and the test tooling, not the lab server’s insides.',
      severity: 'error',
      from: { path: '^e2e/' },
      to: { path: '^lab-server/', pathNot: ['^lab-server/src/protocol/', '^lab-server/testing/'] },
    },
    {
      name: 'lessons-use-check-api-only',
      comment:
        'A lesson’s checks import lab-server/src/checks/check-api.ts and nothing else of the lab server.',
      severity: 'error',
      from: { path: '^lessons/' },
      to: { path: '^lab-server/', pathNot: '^lab-server/src/checks/check-api\\.ts$' },
    },
    {
      name: 'production-without-tooling',
      comment: 'The lab server never imports its tests, test tooling or runners.',
      severity: 'error',
      from: { path: '^lab-server/src/', pathNot: '\\.test\\.ts$' },
      to: { path: ['^lab-server/(testing|runners)/', '\\.test\\.ts$'] },
    },
  ],
  options: {
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(node_modules|dist|\\.astro)/' },
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.mjs', '.js', '.astro'] },
  },
};
