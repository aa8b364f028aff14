import * as lab from './catalog.ts';
import * as http from './http-errors.ts';
import type { ErrorDefinition } from './lab-error.ts';
import * as peer from './peer-errors.ts';
import * as preview from './preview-errors.ts';
import * as store from './store-errors.ts';
import * as terminal from './terminal-errors.ts';

/** Every entry of the error catalog, from each of its files: what tests and tools check answers against. */
export const ERROR_DEFINITIONS: ErrorDefinition<unknown>[] = [lab, http, peer, preview, store, terminal]
  .flatMap((module) => Object.values(module))
  .filter(
    (v): v is ErrorDefinition<unknown> =>
      typeof v === 'object' && v !== null && 'name' in v && 'message' in v,
  );

/** The permanent names an answer's `error` may carry. */
export const ERROR_NAMES: ReadonlySet<string> = new Set(ERROR_DEFINITIONS.map((d) => d.name));
