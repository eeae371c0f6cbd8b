import type { ServerFrame } from '@strangers/protocol';
import type { PairedEntry } from '@strangers/redis';

type PairedFrame = Extract<ServerFrame, { type: 'paired' }>;
type IceServers = NonNullable<PairedFrame['ice']>;

/**
 * Where an audio/video chat's ICE servers come from (the video work's TURN credentials);
 * unset: `paired` carries no `ice` and the client asks with `{"type":"ice"}` later.
 */
export type IceServersFor = (chat: string, session: string) => IceServers | undefined;

/** The `paired` frame for a pair assignment: the optional fields only when they apply (PROTOCOL.md §1, §4). */
export function pairedFrame(entry: PairedEntry, iceFor: IceServersFor | undefined): PairedFrame {
  const frame: PairedFrame = { type: 'paired', chat: entry.chat, interests: entry.interests };
  if (entry.lang.length > 0) frame.lang = entry.lang;
  if (entry.rematch) frame.rematch = true;
  if (entry.media !== 'text') {
    frame.media = entry.media;
    if (entry.role) frame.role = entry.role;
    const ice = iceFor?.(entry.chat, entry.to);
    if (ice) frame.ice = ice;
  }
  return frame;
}
