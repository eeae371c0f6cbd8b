import { createHmac } from 'node:crypto';
import type { TurnConfig } from './config.js';

/** One RTCIceServer as `paired.ice` and the `ice` frame carry it (PROTOCOL.md §4). */
export interface IceServer {
  urls: string[];
  username?: string;
  credential?: string;
}

export interface TurnCredential {
  username: string;
  credential: string;
  /** Unix seconds after which coturn refuses the credential. */
  expiresAt: number;
}

/**
 * A TURN REST credential (the scheme coturn's `use-auth-secret` checks): the username is
 * `<expiry-unix-seconds>:<session>`, the password base64(HMAC-SHA1(secret, username)). The
 * TURN server recomputes the password from the username, so nothing is stored anywhere and
 * the session id in the username ties an allocation in coturn's log to a chat session.
 */
export function turnCredential(secret: string, session: string, nowMs: number, ttlSeconds: number): TurnCredential {
  if (session === '' || /[\u0000-\u001f\u007f]/.test(session)) throw new Error('session must be non-empty printable text');
  const expiresAt = Math.floor(nowMs / 1000) + ttlSeconds;
  const username = `${expiresAt}:${session}`;
  return { username, credential: turnPassword(secret, username), expiresAt };
}

/** base64(HMAC-SHA1(secret, username)): coturn's rule for `use-auth-secret`. */
export function turnPassword(secret: string, username: string): string {
  return createHmac('sha1', secret).update(username).digest('base64');
}

/** What the gateway hands a client for one session: the ICE servers and the transport policy. */
export interface IceConfiguration {
  iceServers: IceServer[];
  /** `relay` when the deployment forces relayed media; clients pass it to RTCPeerConnection. */
  iceTransportPolicy: 'all' | 'relay';
}

/**
 * Builds the ICE servers for `session`: the STUN servers (left out when relay-only, where they
 * would only help reveal addresses), then one entry with every TURN URL and a fresh
 * credential. Called for `paired` and for every `ice` request, so each gets a new expiry.
 */
export function iceConfigurationFor(config: TurnConfig, session: string, nowMs: number = Date.now()): IceConfiguration {
  const iceServers: IceServer[] = [];
  if (!config.relayOnly && config.stunUrls.length > 0) iceServers.push({ urls: [...config.stunUrls] });
  if (config.turnUrls.length > 0) {
    if (config.secret === undefined) throw new Error('TURN_URLS is set but TURN_SECRET is not');
    const { username, credential } = turnCredential(config.secret, session, nowMs, config.ttlSeconds);
    iceServers.push({ urls: [...config.turnUrls], username, credential });
  }
  return { iceServers, iceTransportPolicy: config.relayOnly ? 'relay' : 'all' };
}

/** Just the `ice` array of `paired.ice` / the `ice` frame. */
export function iceServersFor(config: TurnConfig, session: string, nowMs: number = Date.now()): IceServer[] {
  return iceConfigurationFor(config, session, nowMs).iceServers;
}
