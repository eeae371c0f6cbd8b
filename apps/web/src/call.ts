/**
 * One WebRTC call with the current stranger (docs/video.md): an RTCPeerConnection set up from
 * `paired` (role, ICE servers, transport policy), "perfect negotiation" so either side may
 * (re)negotiate without glare, and the resume rule: on every `ice` frame the configuration
 * is updated and the `offer` side restarts ICE. A network change (ICE `failed`, or
 * `disconnected` for a while) asks the server for fresh servers, which leads to the same.
 */

/** How the call reaches the stranger: the SDK's `signal` and `ice` frames. */
export interface CallChannel {
  sendSignal(data: Record<string, unknown>): void;
  requestIce(): void;
}

export interface CallOptions {
  /** `offer`: the impolite peer, which makes the first offer and restarts ICE. */
  role: 'offer' | 'answer';
  iceServers: RTCIceServer[];
  iceTransportPolicy: RTCIceTransportPolicy;
  /** The local camera and/or microphone. */
  stream: MediaStream;
  channel: CallChannel;
  onRemoteStream(stream: MediaStream): void;
  onConnectionState(state: RTCPeerConnectionState): void;
}

/** `disconnected` often heals by itself; past this long it is treated as a network change. */
const DISCONNECTED_GRACE_MS = 3000;

export class Call {
  readonly pc: RTCPeerConnection;
  private readonly polite: boolean;
  private makingOffer = false;
  private ignoreOffer = false;
  private settingRemoteAnswer = false;
  private disconnectedTimer: number | undefined;
  private closed = false;
  /** We asked for fresh servers after a network change: restart ICE whatever our role. */
  private iceRequested = false;

  constructor(private readonly options: CallOptions) {
    this.polite = options.role === 'answer';
    this.pc = new RTCPeerConnection({ iceServers: options.iceServers, iceTransportPolicy: options.iceTransportPolicy });
    const { pc } = this;
    for (const track of options.stream.getTracks()) pc.addTrack(track, options.stream);
    pc.ontrack = ({ track, streams }) => options.onRemoteStream(streams[0] ?? new MediaStream([track]));
    pc.onnegotiationneeded = () => {
      // The `offer` side opens; the `answer` side's tracks go in its answer (less glare).
      if (this.polite && pc.remoteDescription === null) return;
      void this.offer();
    };
    // Trickle ICE; no end-of-candidates marker is needed.
    pc.onicecandidate = ({ candidate }) => {
      if (candidate && candidate.candidate !== '') options.channel.sendSignal(candidate.toJSON() as Record<string, unknown>);
    };
    pc.oniceconnectionstatechange = () => this.onIceState();
    pc.onconnectionstatechange = () => options.onConnectionState(pc.connectionState);
  }

  /** A description or candidate from the stranger (perfect negotiation's receiving half). */
  async onSignal(data: Record<string, unknown>): Promise<void> {
    if (this.closed) return;
    const { pc } = this;
    if ('candidate' in data) {
      try {
        await pc.addIceCandidate(data as RTCIceCandidateInit);
      } catch (error) {
        // A candidate of an offer we ignored is expected to fail.
        if (!this.ignoreOffer) console.warn('ICE candidate not added', error);
      }
      return;
    }
    const description = data as unknown as RTCSessionDescriptionInit;
    const readyForOffer = !this.makingOffer && (pc.signalingState === 'stable' || this.settingRemoteAnswer);
    const collision = description.type === 'offer' && !readyForOffer;
    this.ignoreOffer = !this.polite && collision;
    if (this.ignoreOffer) return;
    this.settingRemoteAnswer = description.type === 'answer';
    try {
      // The polite side's pending offer is rolled back implicitly by this.
      await pc.setRemoteDescription(description);
    } finally {
      this.settingRemoteAnswer = false;
    }
    if (description.type === 'offer') {
      await pc.setLocalDescription();
      this.send(pc.localDescription);
    }
  }

  /**
   * Fresh ICE servers (after a resume, or answering our own request): the configuration is
   * updated, and the `offer` side restarts ICE, dropping first an offer that may have been
   * lost. The `answer` side restarts only when it asked itself (its own network changed);
   * a collision with the other side's restart is perfect negotiation's to resolve.
   */
  async onIce(iceServers: RTCIceServer[], iceTransportPolicy: RTCIceTransportPolicy = this.options.iceTransportPolicy): Promise<void> {
    if (this.closed) return;
    const { pc } = this;
    pc.setConfiguration({ ...pc.getConfiguration(), iceServers, iceTransportPolicy });
    const requested = this.iceRequested;
    this.iceRequested = false;
    if (this.options.role !== 'offer' && !requested) return;
    if (pc.signalingState === 'have-local-offer') await pc.setLocalDescription({ type: 'rollback' });
    pc.restartIce();
  }

  close(): void {
    this.closed = true;
    window.clearTimeout(this.disconnectedTimer);
    this.pc.close();
  }

  private async offer(): Promise<void> {
    try {
      this.makingOffer = true;
      await this.pc.setLocalDescription();
      this.send(this.pc.localDescription);
    } catch (error) {
      console.warn('offer failed', error);
    } finally {
      this.makingOffer = false;
    }
  }

  private send(description: RTCSessionDescription | null): void {
    if (description && !this.closed) this.options.channel.sendSignal(description.toJSON() as unknown as Record<string, unknown>);
  }

  private onIceState(): void {
    const state = this.pc.iceConnectionState;
    window.clearTimeout(this.disconnectedTimer);
    if (state === 'failed') this.requestIce();
    else if (state === 'disconnected') {
      this.disconnectedTimer = window.setTimeout(() => {
        if (this.pc.iceConnectionState === 'disconnected') this.requestIce();
      }, DISCONNECTED_GRACE_MS);
    }
  }

  private requestIce(): void {
    if (this.closed) return;
    this.iceRequested = true;
    this.options.channel.requestIce();
  }
}
