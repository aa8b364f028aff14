import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { learnerToken, readCookie } from './auth.ts';

const req = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;

describe('learner authentication', () => {
  it('reads the token from the cookie among others', () => {
    expect(readCookie('a=1; dockside_token=abc%2D1; b=2', 'dockside_token')).toBe('abc-1');
    expect(readCookie('a=1', 'dockside_token')).toBeUndefined();
    expect(readCookie('dockside_token=%E0%A4%A', 'dockside_token')).toBeUndefined();
  });

  it('prefers a bearer token', () => {
    expect(learnerToken(req({ authorization: 'Bearer xyz', cookie: 'dockside_token=abc' }))).toBe('xyz');
    expect(learnerToken(req({ cookie: 'dockside_token=abc' }))).toBe('abc');
  });
});
