/**
 * Everything a lesson's checks (`lessons/<track>/<lesson>.checks.ts`) may use, and the only module of
 * the lab server they import: the check types and results (check-types.ts) and the declarative
 * helpers (check-helpers.ts).
 */
export * from './check-helpers.ts';
export * from './check-types.ts';
