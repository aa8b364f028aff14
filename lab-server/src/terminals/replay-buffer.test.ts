import { describe, expect, it } from 'vitest';
import { ReplayBuffer } from './replay-buffer.ts';

describe('replay buffer', () => {
  it('keeps everything while under capacity', () => {
    const b = new ReplayBuffer(10);
    b.push(Buffer.from('abc'));
    b.push(Buffer.from('def'));
    expect(b.contents().toString()).toBe('abcdef');
  });

  it('keeps only the newest bytes, cutting inside a chunk when needed', () => {
    const b = new ReplayBuffer(5);
    b.push(Buffer.from('abc'));
    b.push(Buffer.from('defg'));
    expect(b.contents().toString()).toBe('cdefg');
    expect(b.size).toBe(5);
  });

  it('keeps the tail of a chunk larger than the whole buffer', () => {
    const b = new ReplayBuffer(4);
    b.push(Buffer.from('x'));
    b.push(Buffer.from('0123456789'));
    expect(b.contents().toString()).toBe('6789');
  });
});
