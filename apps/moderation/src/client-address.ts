import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';
import { hashAddress } from '@strangers/config';

/** The client's address (through trusted proxies only), as the gateways' keyed hash: the only form it is kept in. */
export function createAddressHasher(trustProxy: readonly string[], salt: string): (request: IncomingMessage) => string {
  const trust = proxyaddr.compile([...trustProxy]);
  return (request) => {
    const address = trustProxy.length > 0 ? proxyaddr(request, trust) : (request.socket.remoteAddress ?? 'unknown');
    return hashAddress(address, salt);
  };
}
