import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * Hashes a client address with a deployment-wide salt: report counting needs the same
 * hash on every gateway, and logs must never hold the raw address.
 */
export function hashAddress(address: string, salt: string): string {
  return createHash('sha256').update(salt).update(address).digest('base64url').slice(0, 22);
}

export function peerAddress(request: IncomingMessage): string {
  return request.socket.remoteAddress ?? 'unknown';
}
