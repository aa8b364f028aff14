import { describe, expect, it } from 'vitest';
import { ReplayBuffer } from './replay-buffer.ts';

const text = (b: Buffer) => b.toString('utf8');
/** A buffer of `capacity` bytes that has been given `chunks`, in order. */
function filled(capacity: number, ...chunks: string[]): ReplayBuffer {
  const b = new ReplayBuffer(capacity);
  for (const chunk of chunks) b.push(Buffer.from(chunk));
  return b;
}

describe('replay buffer', () => {
  it('keeps everything while under capacity', () => {
    const b = filled(10, 'abc', 'def');
    expect(text(b.contents())).toBe('abcdef');
    expect(b.dropped).toBe(0);
    expect(text(b.replay())).toBe('abcdef');
  });

  it('keeps only the newest bytes, cutting inside a chunk when needed', () => {
    const b = filled(5, 'abc', 'defg');
    expect(text(b.contents())).toBe('cdefg');
    expect(b.size).toBe(5);
    expect(b.dropped).toBe(2);
  });

  it('keeps the tail of a chunk larger than the whole buffer', () => {
    const b = filled(4, 'x', '0123456789');
    expect(text(b.contents())).toBe('6789');
    expect(b.dropped).toBe(7);
  });

  it('wraps around many times and still returns the newest bytes in order', () => {
    const b = new ReplayBuffer(1000);
    let all = '';
    for (let i = 0; i < 5000; i++) {
      const piece = `${i},`.repeat((i % 7) + 1);
      all += piece;
      b.push(Buffer.from(piece));
    }
    expect(text(b.contents())).toBe(all.slice(-1000));
    expect(b.size).toBe(1000);
    expect(b.dropped).toBe(all.length - 1000);
  });

  it('grows its storage with the output instead of taking the whole capacity up front', () => {
    const b = new ReplayBuffer(64 * 1024);
    b.push(Buffer.from('$ '));
    expect(b.size).toBe(2);
    // The same contents after growing several times.
    const big = Buffer.alloc(50_000, 'y');
    b.push(big);
    expect(text(b.contents())).toBe(`$ ${big.toString()}`);
  });

  it('replays from a line start once older output was dropped, so no escape sequence is cut in two', () => {
    const b = filled(16, '\x1b[31mred\x1b[0m\r\nline two\r\n$ ');
    expect(text(b.replay())).toBe('line two\r\n$ ');
  });

  it('never replays half a UTF-8 character', () => {
    const b = filled(4, 'aé€'); // a, é (2 bytes), € (3 bytes): the tail starts inside é.
    expect(b.contents()[0]).toBe(0xa9);
    expect(text(b.replay())).toBe('€');
  });

  it('refuses a capacity that is not a whole number of bytes', () => {
    expect(() => new ReplayBuffer(-1)).toThrow(RangeError);
    expect(() => new ReplayBuffer(1.5)).toThrow(RangeError);
  });
});
