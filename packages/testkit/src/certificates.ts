import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Files for a TLS Redis: what `startRedisServer` / `startRedisCluster` take as `tls`. */
export interface TestCertificates {
  /** The throwaway CA's certificate: what clients must trust. */
  caFile: string;
  /** A server certificate for 127.0.0.1 and localhost, signed by that CA. */
  certFile: string;
  keyFile: string;
}

/**
 * Makes a throwaway CA and a server certificate for 127.0.0.1 it signed, in `into`, with
 * the openssl CLI (valid one day). Every node of a test cluster can share the certificate:
 * they all listen on 127.0.0.1.
 */
export function makeTestCertificates(into: string): TestCertificates {
  const file = (name: string) => join(into, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl('req', '-x509', ...ec, '-keyout', file('ca.key'), '-out', file('ca.crt'), '-days', '1', '-subj', '/CN=strangers test CA');
  openssl('req', ...ec, '-keyout', file('server.key'), '-out', file('server.csr'), '-subj', '/CN=localhost');
  writeFileSync(file('san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl('x509', '-req', '-in', file('server.csr'), '-CA', file('ca.crt'), '-CAkey', file('ca.key'), '-CAcreateserial', '-out', file('server.crt'), '-days', '1', '-extfile', file('san.ext'));
  return { caFile: file('ca.crt'), certFile: file('server.crt'), keyFile: file('server.key') };
}
