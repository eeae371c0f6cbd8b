import {
  checkSignal,
  iceConfigurationFor,
  needsIceResync,
  shouldDeliverSignal,
  type MediaConfig,
} from '@strangers/media';
import { ErrorCode, type MediaKind, type ServerFrame, type SignalFrame } from '@strangers/protocol';
import type { InboxEntry } from '@strangers/redis';
import type { Logger } from '@strangers/config';
import { metrics } from '../metrics.js';
import type { ChatStore } from '../chat/chat-store.js';
import type { ChatLink, Session } from '../chat/session.js';

type CallInboxEntry = Extract<InboxEntry, { t: 'signal' | 'resync' }>;

/** What the call code needs of one session's state machine (session-machine.ts). */
export interface CallParty {
  readonly session: Session;
  /** False while the client is away within its resume grace. */
  readonly attached: boolean;
  send(frame: ServerFrame): void;
}

/** The ICE fields of `paired` for an audio/video chat (PROTOCOL.md §4). */
export interface PairedIceFields {
  ice?: Extract<ServerFrame, { type: 'ice' }>['ice'];
  iceTransportPolicy?: 'relay';
}

export interface CallSignalsSettings {
  media: MediaConfig;
}

/**
 * The gateway's half of audio/video calls (docs/video.md): the `paired` extras (role, ICE
 * servers with a fresh TURN credential), `signal` frames checked (`checkSignal`) and handed
 * to the partner's gateway through its inbox (ChatStore.signal: the messages' path, never
 * stored), the `ice` frame, and the resume rule: after a resume into an audio/video chat both
 * sides get an unsolicited `ice`, and the `offer` side restarts ICE.
 *
 * The session's state machine calls in here; routing comes from the session's own chat
 * alone, never from the frame.
 */
export class CallSignals {
  constructor(
    private readonly chats: Pick<ChatStore, 'signal'>,
    private readonly settings: CallSignalsSettings,
    private readonly logger: Logger,
  ) {}

  /**
   * The media kind of the session's current chat: its join's (`session.match`, kept in the
   * session record, so it survives a resume on any gateway). The matcher pairs only the
   * same kinds, so it is the chat's.
   */
  mediaOf(session: Session): MediaKind {
    return session.match.media;
  }

  /**
   * `paired`'s ICE fields for a `media` chat ({} for text): the servers with a fresh TURN
   * credential for this session, and the relay-only hint. `media` and `role` come from the
   * matcher's assignment (preferences/paired-frame.ts).
   */
  pairedIce(session: Session, media: MediaKind): PairedIceFields {
    if (!needsIceResync(media)) return {};
    const { iceServers, iceTransportPolicy } = iceConfigurationFor(this.settings.media.turn, session.id);
    return iceTransportPolicy === 'relay' ? { ice: iceServers, iceTransportPolicy } : { ice: iceServers };
  }

  /** A client's `signal` (its token already taken by the connection's signal bucket). */
  onSignalFrame(party: CallParty, frame: SignalFrame): void {
    const { session } = party;
    const verdict = checkSignal(
      { chat: frame.chat, data: frame.data },
      { state: session.state, chat: session.chat?.id, media: this.mediaOf(session) },
      { limits: this.settings.media.signal, relayOnly: this.settings.media.turn.relayOnly },
    );
    if (!verdict.ok) {
      metrics.signals.inc({ outcome: 'refused' });
      party.send({ type: 'error', code: verdict.code, message: verdict.message });
      return;
    }
    this.handOn(session, session.chat!, 'signal', JSON.stringify(verdict.data)).catch((error: Error) => {
      this.logger.warn({ err: error.message, session: session.id }, 'signal not relayed');
      party.send({ type: 'error', code: ErrorCode.unavailable, message: 'signal not sent: service temporarily unavailable' });
    });
  }

  /** `{"type":"ice"}` while paired: fresh ICE servers for the current audio/video chat. */
  onIceFrame(party: CallParty): void {
    const { session } = party;
    if (!needsIceResync(this.mediaOf(session))) {
      party.send({ type: 'error', code: ErrorCode.invalidState, message: 'ICE servers are only for audio and video chats' });
      return;
    }
    party.send(this.iceFrame(session));
  }

  /** A signal or resync request from the partner's gateway. */
  onInbox(party: CallParty, entry: CallInboxEntry): void {
    const target = { attached: party.attached, chat: party.session.chat?.id };
    if (!shouldDeliverSignal(target, entry.chat)) {
      // Detached (it will get `ice` after its resume) or already out of that chat: dropped.
      if (entry.t === 'signal') metrics.signals.inc({ outcome: 'dropped' });
      return;
    }
    if (entry.t === 'resync') {
      party.send(this.iceFrame(party.session));
      return;
    }
    let data: Record<string, unknown>;
    try {
      data = JSON.parse(entry.data) as Record<string, unknown>;
    } catch {
      this.logger.error({ chat: entry.chat }, 'malformed signal entry dropped');
      return;
    }
    party.send({ type: 'signal', data });
  }

  /**
   * After a resume into an audio/video chat: `ice` to the resumed side (after its `resumed`
   * and replay), and a resync request to the partner, whose gateway sends it `ice` too.
   */
  afterResume(party: CallParty): void {
    const { session } = party;
    const chat = session.chat;
    if (session.state !== 'paired' || !chat || !needsIceResync(this.mediaOf(session))) return;
    party.send(this.iceFrame(session));
    this.handOn(session, chat, 'resync', '').catch((error: Error) => {
      this.logger.warn({ err: error.message, session: session.id }, 'ICE resync not sent to the partner');
    });
  }

  private iceFrame(session: Session): ServerFrame {
    const { iceServers, iceTransportPolicy } = iceConfigurationFor(this.settings.media.turn, session.id);
    return iceTransportPolicy === 'relay' ? { type: 'ice', ice: iceServers, iceTransportPolicy } : { type: 'ice', ice: iceServers };
  }

  /** Hands the signal to the partner's current gateway (ChatStore.signal); counts it when relayed. */
  private async handOn(session: Session, chat: ChatLink, kind: 'signal' | 'resync', data: string): Promise<void> {
    // Not handed on: the chat ended (its `left` is on the way) or is not ours; nothing to say.
    if ((await this.chats.signal(session.id, chat, kind, data)) && kind === 'signal') metrics.signals.inc({ outcome: 'relayed' });
  }
}
