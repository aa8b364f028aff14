import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * A record that some slow, idempotent work (seeding a cache) was done for these inputs. Tied to the
 * volume's creation time, so a removed and re-created volume is seeded again.
 */
export class Stamp {
  readonly #file: string;
  readonly #value: string;

  constructor(file: string, inputs: unknown) {
    this.#file = file;
    this.#value = JSON.stringify(inputs);
  }

  isCurrent(): boolean {
    try {
      return readFileSync(this.#file, 'utf8') === this.#value;
    } catch {
      // No stamp yet: not current, so the work is done.
      return false;
    }
  }

  record(): void {
    mkdirSync(dirname(this.#file), { recursive: true });
    writeFileSync(this.#file, this.#value);
  }
}
