/**
 * The owner token `<gateway id>|<boot id>`: who holds a session record or a room name. The
 * boot id (not just the gateway id) is what counts, so a gateway restarted under the same id
 * is a new owner and its previous life's holdings are swept. '' in a session record means
 * nobody (an orphan). Built and taken apart only here.
 */
export type OwnerToken = string;

export interface Owner {
  gatewayId: string;
  bootId: string;
}

const SEPARATOR = '|';

export function ownerToken(gatewayId: string, bootId: string): OwnerToken {
  return `${gatewayId}${SEPARATOR}${bootId}`;
}

/** The two halves, or undefined for '' (no owner) or anything malformed. */
export function parseOwnerToken(token: string): Owner | undefined {
  const bar = token.indexOf(SEPARATOR);
  if (bar <= 0) return undefined;
  return { gatewayId: token.slice(0, bar), bootId: token.slice(bar + 1) };
}

/** The gateway part of an owner token ('' when there is none): where its control stream is. */
export function ownerGateway(token: string): string {
  return parseOwnerToken(token)?.gatewayId ?? '';
}
