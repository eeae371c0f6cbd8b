import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Compares two secrets (tokens) in constant time. Both sides are hashed first, so neither
 * the content nor the length of the expected value leaks through the comparison's timing.
 */
export function secretsEqual(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}
