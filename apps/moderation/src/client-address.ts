import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';

/** The client's address (through trusted proxies only), as a salted hash: the only form it is kept in. */
export function createAddressHasher(trustProxy: readonly string[], salt: string): (request: IncomingMessage) => string {
  const trust = proxyaddr.compile([...trustProxy]);
  return (request) => {
    const address = trustProxy.length > 0 ? proxyaddr(request, trust) : (request.socket.remoteAddress ?? 'unknown');
    return createHash('sha256').update(salt).update(address).digest('base64url').slice(0, 22);
  };
}
