/** A replay longer than this is cut at a line start, if one is this close to its beginning. */
const LINE_SEARCH_BYTES = 1024;

/**
 * The last `capacity` bytes of a terminal's output, replayed when a browser reattaches: a ring of bytes
 * whose storage grows with the output up to `capacity` (an idle shell costs a few KiB, not the whole
 * capacity), after which the oldest bytes are overwritten.
 */
export class ReplayBuffer {
  readonly capacity: number;
  #ring: Buffer = Buffer.alloc(0);
  /** Index in #ring of the oldest byte kept. */
  #start = 0;
  #size = 0;
  #dropped = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 0) {
      throw new RangeError(`A replay buffer holds a whole number of bytes, not ${capacity}.`);
    }
    this.capacity = capacity;
  }

  /** Bytes held. */
  get size(): number {
    return this.#size;
  }

  /** Bytes written so far that no longer fit. */
  get dropped(): number {
    return this.#dropped;
  }

  push(chunk: Uint8Array): void {
    const capacity = this.capacity;
    if (chunk.length === 0) return;
    if (chunk.length >= capacity) {
      // Only the chunk's tail survives.
      this.#dropped += this.#size + chunk.length - capacity;
      if (this.#ring.length < capacity) this.#ring = Buffer.alloc(capacity);
      this.#ring.set(chunk.subarray(chunk.length - capacity));
      this.#start = 0;
      this.#size = capacity;
      return;
    }
    const needed = this.#size + chunk.length;
    if (needed > this.#ring.length && this.#ring.length < capacity) {
      this.#grow(Math.min(capacity, Math.max(needed, this.#ring.length * 2, 4096)));
    }
    const length = this.#ring.length;
    const overflow = this.#size + chunk.length - length;
    if (overflow > 0) {
      this.#start = (this.#start + overflow) % length;
      this.#size -= overflow;
      this.#dropped += overflow;
    }
    const at = (this.#start + this.#size) % length;
    const first = Math.min(chunk.length, length - at);
    this.#ring.set(chunk.subarray(0, first), at);
    if (first < chunk.length) this.#ring.set(chunk.subarray(first), 0);
    this.#size += chunk.length;
  }

  /** Every byte held, oldest first. */
  contents(): Buffer {
    const out = Buffer.allocUnsafe(this.#size);
    const first = Math.min(this.#size, this.#ring.length - this.#start);
    this.#ring.copy(out, 0, this.#start, this.#start + first);
    if (first < this.#size) this.#ring.copy(out, first, 0, this.#size - first);
    return out;
  }

  /**
   * What a reattaching terminal is sent: the contents, less a leading fragment when older output was
   * dropped. It starts at a line when one begins near the front (so no escape sequence is cut in two),
   * and never inside a UTF-8 character.
   */
  replay(): Buffer {
    const all = this.contents();
    if (this.#dropped === 0) return all;
    const newline = all.subarray(0, LINE_SEARCH_BYTES).indexOf(0x0a);
    if (newline >= 0) return all.subarray(newline + 1);
    let from = 0;
    // 0b10xxxxxx bytes continue a character begun in the dropped part.
    while (from < all.length && from < 4 && ((all[from] as number) & 0xc0) === 0x80) from++;
    return all.subarray(from);
  }

  #grow(length: number): void {
    const next = Buffer.alloc(length);
    this.contents().copy(next);
    this.#ring = next;
    this.#start = 0;
  }
}
