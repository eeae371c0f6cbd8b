import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Moderator } from '../config.js';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Who holds the bearer token of a request: compared against every configured token, each
 * in constant time over equal-length digests, and always all of them, so neither timing nor
 * early exit tells which part or which moderator matched.
 */
export function createAuthenticator(moderators: readonly Moderator[]): (request: IncomingMessage) => string | undefined {
  const known = moderators.map((moderator) => ({ name: moderator.name, digest: digest(moderator.token) }));
  return (request) => {
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) return undefined;
    const presented = digest(match[1]!);
    let who: string | undefined;
    for (const entry of known) if (timingSafeEqual(entry.digest, presented)) who = entry.name;
    return who;
  };
}
