import type { IceCandidate } from './signal-data.js';

/**
 * Relay-only privacy enforced on the signals themselves, for clients that ignore the
 * `iceTransportPolicy: 'relay'` hint: only relay candidates (addresses of the TURN server)
 * reach the partner, so a well-behaved client never discloses its own addresses. (A client
 * that ignores the hint still sends connectivity checks from its own address to whatever
 * the partner claims is a relay: only the client's own relay policy fully protects it.)
 */

/** `candidate:<foundation> <component> <transport> <priority> <address> <port> typ <type> …` (RFC 8839 §5.1). */
export function candidateType(line: string): string | undefined {
  const fields = line.replace(/^a=/, '').split(' ');
  const typ = fields.indexOf('typ');
  return typ >= 0 ? fields[typ + 1] : undefined;
}

/** True for a candidate the partner may see under relay-only: a relay one, or end-of-candidates. */
export function isRelayCandidate(candidate: IceCandidate): boolean {
  return candidate.candidate === '' || candidateType(candidate.candidate) === 'relay';
}

/**
 * An SDP with every non-relay `a=candidate` line removed and the connection addresses
 * (`c=`, `a=rtcp:`) blanked: in a gathered description they carry the default candidate's
 * address, which may be the sender's own. ICE does not use them, so the call is unaffected.
 */
export function relayOnlySdp(sdp: string): string {
  const eol = sdp.includes('\r\n') ? '\r\n' : '\n';
  return sdp
    .split(eol)
    .filter((line) => !line.startsWith('a=candidate:') || candidateType(line) === 'relay')
    .map((line) =>
      line
        .replace(/^c=IN IP4 \S+/, 'c=IN IP4 0.0.0.0')
        .replace(/^c=IN IP6 \S+/, 'c=IN IP6 ::')
        .replace(/^(a=rtcp:\d+) IN IP4 \S+/, '$1 IN IP4 0.0.0.0')
        .replace(/^(a=rtcp:\d+) IN IP6 \S+/, '$1 IN IP6 ::'),
    )
    .join(eol);
}
