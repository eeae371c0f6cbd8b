import type { PairedEvent, StrangerClient } from '@strangers/client';
import { Call } from './call.js';

/** How the user chose to talk on the start screen. */
export type ChatMode = 'text' | 'audio' | 'video';

export interface CallElements {
  call: HTMLElement;
  remoteVideo: HTMLVideoElement;
  localVideo: HTMLVideoElement;
  callStatus: HTMLParagraphElement;
  mute: HTMLButtonElement;
  camera: HTMLButtonElement;
}

/** Signals that arrive before the call object exists (a few candidates at most). */
const MAX_EARLY_SIGNALS = 64;

/** The reason a camera/microphone request failed, said plainly, and what happens instead. */
export function mediaRefusalText(error: unknown, mode: ChatMode): string {
  const what = mode === 'video' ? 'camera and microphone' : 'microphone';
  const name = error instanceof DOMException ? error.name : '';
  if (name === 'NotAllowedError' || name === 'SecurityError') {
    return `Access to your ${what} was refused, so this is a text chat. To talk by ${mode === 'video' ? 'video' : 'voice'}, allow it in the browser's site settings and start again.`;
  }
  if (name === 'NotFoundError' || name === 'OverconstrainedError') return `No ${what} was found, so this is a text chat.`;
  if (name === 'NotReadableError') return `Your ${what} is in use by another program, so this is a text chat.`;
  return `Your ${what} could not be started, so this is a text chat.`;
}

/**
 * The call part of the chat screen: the local preview and the stranger's video, the mute and
 * camera toggles, and one `Call` per audio/video chat, fed by the SDK's `signal` and `ice`
 * events. The camera/microphone is asked for before joining, so a refusal falls back to text.
 */
export class CallView {
  private stream: MediaStream | undefined;
  private call: Call | undefined;
  private early: Record<string, unknown>[] = [];

  constructor(
    private readonly client: StrangerClient,
    private readonly el: CallElements,
    /** Tells the user something in the chat log. */
    private readonly notify: (text: string) => void,
  ) {
    client.on('signal', ({ data }) => this.onSignal(data));
    client.on('ice', ({ ice, iceTransportPolicy }) => void this.call?.onIce(ice, iceTransportPolicy));
    el.mute.addEventListener('click', () => this.toggle('audio', el.mute, 'Mute', 'Unmute'));
    el.camera.addEventListener('click', () => this.toggle('video', el.camera, 'Camera off', 'Camera on'));
  }

  /** The media the local side has: what `join` should ask for. */
  get media(): ChatMode {
    if (!this.stream) return 'text';
    return this.stream.getVideoTracks().length > 0 ? 'video' : 'audio';
  }

  /**
   * Asks for the camera and/or microphone for `mode`; resolves the mode that can be used
   * (text when refused, after saying why).
   */
  async prepare(mode: ChatMode): Promise<ChatMode> {
    this.release();
    if (mode === 'text') return 'text';
    if (!navigator.mediaDevices?.getUserMedia) {
      this.notify('This browser cannot make calls here (it needs HTTPS), so this is a text chat.');
      return 'text';
    }
    try {
      this.stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: mode === 'video' });
    } catch (error) {
      this.notify(mediaRefusalText(error, mode));
      return 'text';
    }
    this.el.localVideo.srcObject = this.stream;
    this.el.localVideo.hidden = mode !== 'video';
    this.el.camera.hidden = mode !== 'video';
    this.resetToggles();
    this.el.call.hidden = false;
    this.setStatus('Waiting for a stranger…');
    return mode;
  }

  /** A new chat: a call if it is an audio/video one and we have the media for it. */
  start(paired: PairedEvent): void {
    this.end();
    const stream = this.stream;
    if (!stream || (paired.media !== 'audio' && paired.media !== 'video') || !paired.role) return;
    this.setStatus('Connecting the call…');
    this.call = new Call({
      role: paired.role,
      iceServers: paired.ice ?? [],
      iceTransportPolicy: paired.iceTransportPolicy ?? 'all',
      stream,
      channel: {
        sendSignal: (data) => void this.client.signal(data).catch(() => {}),
        requestIce: () => void this.client.requestIce().catch(() => {}),
      },
      onRemoteStream: (remote) => {
        this.el.remoteVideo.srcObject = remote;
      },
      onConnectionState: (state) => this.onConnectionState(state),
    });
    const early = this.early;
    this.early = [];
    for (const data of early) void this.call.onSignal(data);
  }

  /** The chat is over (Next, Report, the stranger left): the call ends, the camera stays on. */
  end(): void {
    this.call?.close();
    this.call = undefined;
    this.early = [];
    this.el.remoteVideo.srcObject = null;
    if (this.stream) this.setStatus('Waiting for a stranger…');
  }

  /** Leaving for the start screen: the camera and microphone are released. */
  release(): void {
    this.end();
    for (const track of this.stream?.getTracks() ?? []) track.stop();
    this.stream = undefined;
    this.el.localVideo.srcObject = null;
    this.el.call.hidden = true;
  }

  private onSignal(data: Record<string, unknown>): void {
    if (this.call) void this.call.onSignal(data);
    else if (this.stream && this.early.length < MAX_EARLY_SIGNALS) this.early.push(data);
  }

  private onConnectionState(state: RTCPeerConnectionState): void {
    if (state === 'connected') this.setStatus(this.media === 'video' ? 'On a video call' : 'On a voice call');
    else if (state === 'connecting' || state === 'new') this.setStatus('Connecting the call…');
    else if (state === 'disconnected') this.setStatus('Call interrupted, reconnecting…');
    else if (state === 'failed') this.setStatus('The call could not connect; trying again…');
  }

  private setStatus(text: string): void {
    this.el.callStatus.textContent = text;
  }

  /** Mute / camera: the track stays (no renegotiation), it only stops sending. */
  private toggle(kind: 'audio' | 'video', button: HTMLButtonElement, onLabel: string, offLabel: string): void {
    const tracks = kind === 'audio' ? this.stream?.getAudioTracks() : this.stream?.getVideoTracks();
    if (!tracks || tracks.length === 0) return;
    const enabled = !tracks[0]!.enabled;
    for (const track of tracks) track.enabled = enabled;
    button.setAttribute('aria-pressed', String(!enabled));
    button.textContent = enabled ? onLabel : offLabel;
  }

  private resetToggles(): void {
    this.el.mute.setAttribute('aria-pressed', 'false');
    this.el.mute.textContent = 'Mute';
    this.el.camera.setAttribute('aria-pressed', 'false');
    this.el.camera.textContent = 'Camera off';
  }
}
