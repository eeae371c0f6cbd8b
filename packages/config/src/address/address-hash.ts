import { createHmac } from 'node:crypto';
import { addressKey } from './address-key.js';

/**
 * Hashes a client address (its limit key: an IPv6 address by its /64) with HMAC-SHA256 keyed
 * by the deployment-wide secret (IP_HASH_SALT): report counting and bans need the same hash on
 * every gateway and the moderation service, logs and Redis must never hold the raw address,
 * and without the key nobody can reverse a hash by trying all 2³² IPv4 addresses (a plain hash
 * over salt + address can be, in CPU-minutes).
 */
export function hashAddress(address: string, key: string): string {
  // The first 22 base64url characters of the digest (132 bits, from its first 17 bytes). Cut
  // through a Buffer: `.slice` on the string would keep all 43 characters alive behind it.
  const encoded = createHmac('sha256', key).update(addressKey(address)).digest().toString('base64url', 0, 17);
  return Buffer.from(encoded, 'latin1').toString('latin1', 0, 22);
}
