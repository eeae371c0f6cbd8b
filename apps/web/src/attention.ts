/**
 * Gets the user's attention when a stranger arrives or writes while the tab is hidden: the
 * title flashes until the tab is seen again; a short sound and a system notification are
 * opt-in (off by default, the choice kept in localStorage).
 */
const SETTINGS_KEY = 'strangers.attention';
const FLASH_MS = 1000;

export interface AttentionSettings {
  sound: boolean;
  notify: boolean;
}

export function loadAttentionSettings(): AttentionSettings {
  try {
    const raw = JSON.parse(window.localStorage.getItem(SETTINGS_KEY) ?? '{}') as Record<string, unknown>;
    return { sound: raw.sound === true, notify: raw.notify === true };
  } catch {
    return { sound: false, notify: false };
  }
}

export function saveAttentionSettings(settings: AttentionSettings): void {
  try {
    window.localStorage.setItem(SETTINGS_KEY, JSON.stringify(settings));
  } catch {
    // disabled storage: the choice lasts for this page
  }
}

export class Attention {
  private readonly title = document.title;
  private flashTimer: number | undefined;
  private audio: AudioContext | undefined;

  constructor(private settings: AttentionSettings) {
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') this.stopFlashing();
    });
  }

  update(settings: AttentionSettings): void {
    this.settings = settings;
  }

  /** Asks for notification permission (needs a user gesture); false when it is refused. */
  async allowNotifications(): Promise<boolean> {
    if (!('Notification' in window)) return false;
    if (Notification.permission === 'granted') return true;
    return (await Notification.requestPermission()) === 'granted';
  }

  /** Something happened the user should see; only acts while the tab is hidden. */
  notice(what: string): void {
    if (document.visibilityState !== 'hidden') return;
    this.flash(what);
    if (this.settings.sound) this.beep();
    if (this.settings.notify && 'Notification' in window && Notification.permission === 'granted') {
      // Never the message text: a notification can show on a locked screen.
      new Notification('strangers', { body: what, tag: 'strangers' });
    }
  }

  private flash(what: string): void {
    window.clearInterval(this.flashTimer);
    let on = true;
    document.title = `● ${what}`;
    this.flashTimer = window.setInterval(() => {
      on = !on;
      document.title = on ? `● ${what}` : this.title;
    }, FLASH_MS);
  }

  private stopFlashing(): void {
    window.clearInterval(this.flashTimer);
    this.flashTimer = undefined;
    document.title = this.title;
  }

  /** A short soft tone, synthesised: no audio file to fetch. */
  private beep(): void {
    try {
      this.audio ??= new AudioContext();
      const oscillator = this.audio.createOscillator();
      const gain = this.audio.createGain();
      oscillator.frequency.value = 660;
      gain.gain.setValueAtTime(0.08, this.audio.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.0001, this.audio.currentTime + 0.25);
      oscillator.connect(gain).connect(this.audio.destination);
      oscillator.start();
      oscillator.stop(this.audio.currentTime + 0.25);
    } catch {
      // no audio output: the title still flashes
    }
  }
}

/** The opt-in checkboxes: saved as they change; notifications only once the browser allows them. */
export function wireAttentionControls(
  attention: Attention,
  controls: { sound: HTMLInputElement; notify: HTMLInputElement; help: HTMLElement },
): void {
  const { sound, notify, help } = controls;
  const initial = loadAttentionSettings();
  sound.checked = initial.sound;
  notify.checked = initial.notify;
  const save = (): void => {
    const settings = { sound: sound.checked, notify: notify.checked };
    attention.update(settings);
    saveAttentionSettings(settings);
  };
  sound.addEventListener('change', save);
  notify.addEventListener('change', async function onNotifyChange() {
    help.textContent = '';
    if (notify.checked && !(await attention.allowNotifications())) {
      notify.checked = false;
      help.textContent = 'Notifications are blocked for this site in your browser.';
    }
    save();
  });
}
