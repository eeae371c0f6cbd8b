import type { IncomingMessage } from 'node:http';
import { clientAddress, compileProxyTrust, hashAddress } from '@strangers/config';

/** The client's address (through trusted proxies only), as the gateways' keyed hash: the only form it is kept in. */
export function createAddressHasher(trustProxy: readonly string[], salt: string): (request: IncomingMessage) => string {
  const trust = trustProxy.length > 0 ? compileProxyTrust(trustProxy) : undefined;
  return (request) => hashAddress(clientAddress(request, trust), salt);
}
