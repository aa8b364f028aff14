import { createHash, randomBytes } from 'node:crypto';

/** A session id: 128 random bits (not a secret on its own: every call also needs the owner's token). */
export const newSessionId = () => randomBytes(16).toString('hex');
export const base32 = (bytes: Buffer) => {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return out;
};

/** A learner's secret: 128 random bits. Only its hash is stored. */
export const newOwnerToken = () => randomBytes(16).toString('base64url');
export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');
