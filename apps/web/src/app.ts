import { StrangerClient, StrangerClientError, type BanStatement, type ConnectResult, type JoinOptions, type PairedEvent, type StopCause } from '@strangers/client';
import { CallView, type ChatMode } from './call-view.js';
import { Attention, loadAttentionSettings, wireAttentionControls } from './attention.js';
import { wireComposer } from './composer.js';
import { showBan } from './ban-notice.js';
import { fillLanguages } from './language.js';
import { NextConfirm } from './next-confirm.js';
import { LEFT_TEXT, sendFailureText, STOP_TEXT } from './notices.js';
import { pollOnline } from './online-poll.js';
import { workerSolver } from './proof.js';
import { RematchOffer } from './rematch.js';
import { SessionStatus } from './session-status.js';
import { readStartForm } from './start-form.js';
import { clearSession, loadSession, updateSession } from './saved-session.js';
import { loadTerms } from './terms.js';
import { TypingIndicators } from './typing-indicators.js';
import { messages, ui } from './ui.js';

/** The server's resume grace (PROTOCOL.md, default 15 s) plus a margin: past it the chat is gone. */
const GRACE_MS = 17_000;

function socketUrl(): string {
  const url = new URL('/ws', window.location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.toString();
}

const client = new StrangerClient({ url: socketUrl(), solveProof: workerSolver(ui.proof) });
/** The screen, status line, banner, online count and controls (session-status.ts). */
const view = new SessionStatus(client);
/** Our "typing" and the partner's (typing-indicators.ts). */
const typing = new TypingIndicators(client, ui.typing, ui.message);
const attention = new Attention(loadAttentionSettings());
/** Voice and video calls beside the text chat (call-view.ts). */
const callView = new CallView(client, ui, (text) => {
  mediaNotice = text;
});
/** Why a voice/video start fell back to text; shown in the chat log until the next start. */
let mediaNotice: string | undefined;
const saved = loadSession();
let joinOptions: JoinOptions = saved
  ? { interests: saved.interests ?? [], requeue: saved.requeue ?? true, ...(saved.lang ? { lang: saved.lang } : {}), ...(saved.adult !== undefined ? { adult: saved.adult } : {}) }
  : {};
const rematch = new RematchOffer(client, ui.reconnect, (text) => messages.system(text));
const nextConfirm = new NextConfirm(ui.nextLabel, ui.nextHelp, moveOn);
/** The server ended the session for good (ban, another tab): never reconnect. */
let stoppedForGood = false;
let graceTimer: number | undefined;
/** Set when the chat was lost while offline, so the resume that follows does not pretend otherwise. */
let chatLost = false;

function startChat(): void {
  ui.startError.textContent = '';
  chatLost = false;
  client.join(joinOptions).then(
    () => updateSession({ interests: joinOptions.interests ?? [], requeue: joinOptions.requeue ?? true, lang: joinOptions.lang, adult: joinOptions.adult }),
    (error: unknown) => {
      ui.startError.textContent = error instanceof Error ? error.message : 'Could not start';
      view.showScreen('start');
    },
  );
  messages.clear();
  view.showScreen('chat');
  view.setStatus('Looking for someone…');
  ui.status.focus();
}

function sendMessage(text: string): void {
  const item = messages.own(text);
  typing.stopOwn();
  client.send(text).then(
    () => messages.acked(item),
    (error: unknown) => {
      const why = sendFailureText(error instanceof StrangerClientError ? error.code : 'unknown');
      // Only offer a retry while the same chat is still on.
      const chat = client.chat;
      messages.failed(item, why, () => {
        if (client.state === 'paired' && client.chat === chat) sendMessage(text);
      });
    },
  );
}

// --- user input -------------------------------------------------------------

function onStartSubmit(event: SubmitEvent): void {
  event.preventDefault();
  const mode = (new FormData(ui.startForm).get('mode') ?? 'text') as ChatMode;
  const form = readStartForm();
  ui.startButton.disabled = true;
  mediaNotice = undefined;
  // The camera/microphone first: refused, the chat falls back to text (and says why).
  void callView.prepare(mode).then((media) => {
    joinOptions = media === 'text' ? form : { ...form, media };
    startChat();
    if (mediaNotice) messages.system(mediaNotice);
  });
}

function onComposerSubmit(event: SubmitEvent): void {
  event.preventDefault();
  const text = ui.message.value.trim();
  if (text.length === 0 || client.state !== 'paired') return;
  ui.message.value = '';
  sendMessage(text);
  ui.message.focus();
}

/** Next, confirmed (a second click or Escape): end the chat and look for someone else. */
function moveOn(): void {
  if (client.state !== 'paired') return;
  callView.end();
  typing.stopOwn();
  typing.showPartner(false);
  void client.next();
  updateSession({ chat: undefined, last: 0 });
  messages.system('You left the chat.');
  view.setStatus('Looking for someone…');
  rematch.offer(client.previousChat);
}

function onNextClick(): void {
  if (client.state === 'paired') nextConfirm.press('click');
}

function onLeaveClick(): void {
  callView.release();
  typing.stopOwn();
  typing.showPartner(false);
  if (client.status === 'open' && client.state !== 'idle') void client.leave();
  updateSession({ chat: undefined, last: 0 });
  view.showScreen('start');
  view.syncControls();
  ui.startButton.focus();
}

function onReportClick(): void {
  if (client.state !== 'paired') return;
  ui.reportReason.value = '';
  ui.reportDialog.showModal();
  document.getElementById('report-cancel')?.focus();
}

function onReportClose(): void {
  if (ui.reportDialog.returnValue !== 'confirm' || client.state !== 'paired') {
    ui.report.focus();
    return;
  }
  const reason = ui.reportReason.value.trim();
  callView.end();
  typing.showPartner(false);
  void client.report(reason.length > 0 ? { reason: reason.slice(0, 200) } : {});
  updateSession({ chat: undefined, last: 0 });
  messages.system('You reported the stranger. You will not be matched with them again.');
  view.setStatus('Looking for someone…');
  ui.status.focus();
}

function onNewChatClick(): void {
  startChat();
}

function onDocumentKeydown(event: KeyboardEvent): void {
  // Escape inside the dialog closes the dialog (its own behaviour), not the chat.
  if (event.key !== 'Escape' || ui.reportDialog.open || ui.chatScreen.hidden) return;
  // An IME's Escape cancels its composition, like its Enter confirms one: not ours.
  if (event.isComposing || event.keyCode === 229 || composer.composing()) return;
  event.preventDefault();
  if (client.state === 'paired') nextConfirm.press('escape');
}

ui.startForm.addEventListener('submit', onStartSubmit);
ui.composer.addEventListener('submit', onComposerSubmit);
const composer = wireComposer(ui.message, ui.composer, ui.composerHelp);
ui.message.addEventListener('input', () => typing.onInput());
ui.next.addEventListener('click', onNextClick);
ui.leave.addEventListener('click', onLeaveClick);
ui.report.addEventListener('click', onReportClick);
ui.reportDialog.addEventListener('close', onReportClose);
ui.newChat.addEventListener('click', onNewChatClick);
document.addEventListener('keydown', onDocumentKeydown);

// --- client events ------------------------------------------------------------

function onWelcome({ online }: { online: number }): void {
  view.showOnline(online);
  view.syncControls();
}

function onWaiting({ online }: { online: number }): void {
  view.showOnline(online);
  if (ui.chatScreen.hidden) return;
  view.setStatus(`Looking for someone… (${online} online)`);
}

function onPaired(paired: PairedEvent): void {
  const { chat, interests, rematch: again } = paired;
  chatLost = false;
  callView.start(paired);
  rematch.withdraw();
  nextConfirm.reset();
  updateSession({ chat, last: 0 });
  attention.notice('A stranger is here');
  messages.clear();
  typing.showPartner(false);
  view.showScreen('chat');
  messages.system(
    again
      ? "You're back with the same stranger."
      : interests.length > 0
        ? `You're now chatting with a stranger. You both like: ${interests.join(', ')}.`
        : "You're now chatting with a stranger. Say hi!",
  );
  if (mediaNotice) messages.system(mediaNotice);
  view.statusForState();
  ui.message.focus();
}

function onPartnerMessage({ text, seq }: { text: string; seq: number }): void {
  typing.showPartner(false);
  messages.partner(text);
  updateSession({ last: seq });
  attention.notice('New message from the stranger');
}

function onPartnerLeft({ reason }: { reason: keyof typeof LEFT_TEXT }): void {
  callView.end();
  typing.stopOwn();
  typing.showPartner(false);
  updateSession({ chat: undefined, last: 0 });
  messages.system(LEFT_TEXT[reason]);
  nextConfirm.reset();
  if (reason === 'next' || reason === 'left') rematch.offer(client.previousChat);
  if (joinOptions.requeue !== false) {
    view.setStatus('Stranger left. Looking for someone new…');
  } else {
    view.setStatus('Stranger left.', true);
    ui.newChat.focus();
  }
}

function onReconnecting({ since }: { since: number }): void {
  typing.showPartner(false);
  view.setStatus('Reconnecting…');
  view.showBanner('Connection lost. Reconnecting…');
  window.clearTimeout(graceTimer);
  const left = GRACE_MS - (Date.now() - since);
  graceTimer = window.setTimeout(onGraceOver, Math.max(0, left));
}

/** Still offline after the server's grace: the chat is over even if we come back later. */
function onGraceOver(): void {
  if (client.status !== 'reconnecting' || client.state === 'idle') return;
  chatLost = true;
  messages.system('The chat ended: the connection was lost for too long.');
  view.setStatus('Reconnecting… the chat has ended.');
  view.showBanner('Connection lost. Reconnecting… the chat has ended.');
}

function onResumed({ state, recovered }: { state: string; recovered: boolean | undefined }): void {
  window.clearTimeout(graceTimer);
  view.showBanner(undefined);
  // v1.1: the server no longer had every message sent while we were away.
  if (recovered === false && state === 'paired') messages.system('Some of the stranger\'s messages from while you were away could not be recovered.');
  if (ui.chatScreen.hidden) {
    view.syncControls();
    return;
  }
  view.statusForState();
}

function onChatEnded({ reason }: { reason: 'resume_failed' | 'ended_while_away' }): void {
  callView.end();
  window.clearTimeout(graceTimer);
  if (!chatLost) {
    messages.system(
      reason === 'resume_failed' ? 'The chat ended: the connection was lost for too long.' : 'The chat ended while you were offline.',
    );
  }
  chatLost = false;
  updateSession({ chat: undefined, last: 0 });
  view.setStatus('The chat has ended.', true);
  ui.newChat.focus();
}

function onClientError({ code, message }: { code: string; message: string }): void {
  if (code === 'resume_failed') return; // reported through chat_ended
  if (code === 'stale_chat') return; // the frame was for a chat that already ended: the next events say what happened
  if (ui.chatScreen.hidden) ui.startError.textContent = message;
  else messages.system(`Error: ${message}`);
  view.syncControls();
}

function onClosed(): void {
  callView.release();
  window.clearTimeout(graceTimer);
  ui.online.textContent = 'Offline';
  view.setStatus('Disconnected. Reload the page to try again.');
  if (ui.banner.hidden) view.showBanner('Disconnected. Reload the page to try again.');
}

/** The server ended the session for good (another tab took it over, or a ban): no reconnect. */
function onStopped({ cause, ban }: { cause: StopCause; ban: BanStatement | undefined }): void {
  callView.release();
  window.clearTimeout(graceTimer);
  stoppedForGood = true;
  clearSession();
  rematch.withdraw();
  if (cause === 'banned') {
    ui.startScreen.hidden = true;
    ui.chatScreen.hidden = true;
    showBan(ui.ban, ban);
    ui.online.textContent = 'Offline';
    return;
  }
  view.showScreen('chat');
  view.showBanner(STOP_TEXT[cause]);
}

client.on('welcome', onWelcome);
client.on('waiting', onWaiting);
client.on('paired', onPaired);
client.on('message', onPartnerMessage);
client.on('typing', ({ typing: on }) => typing.showPartner(on));
client.on('partner_left', onPartnerLeft);
client.on('reconnecting', onReconnecting);
client.on('resumed', onResumed);
client.on('chat_ended', onChatEnded);
client.on('error', onClientError);
client.on('closed', onClosed);
client.on('stopped', onStopped);
client.on('resume_token', ({ token }) => updateSession({ token }));
client.on('rematch_offer', ({ chat }) => rematch.offered(chat));
client.on('state', () => view.syncControls());

/** After a reload, back into the saved chat (or the queue) the tab was in. */
function onFirstConnect(result: ConnectResult): void {
  if (!result.resumed || result.state === 'idle') return;
  messages.clear();
  view.showScreen('chat');
  messages.system(result.state === 'paired' ? "You're back in your chat." : 'Still looking for someone…');
  view.statusForState();
  if (result.state === 'paired') ui.message.focus();
}

/** The first connection; retried until the gateway answers (e.g. page opened during a deploy). */
function connectFirst(): void {
  const session = loadSession();
  const resume = session ? { resume: { token: session.token, chat: session.chat, last: session.last ?? 0 } } : {};
  client.connect(resume).then(onFirstConnect, () => {
    if (stoppedForGood) return;
    ui.online.textContent = 'Cannot reach the server, retrying…';
    window.setTimeout(connectFirst, 3000);
  });
}

wireAttentionControls(attention, { sound: ui.sound, notify: ui.notify, help: ui.notifyHelp });
if (saved?.requeue === false) ui.requeue.checked = false;
fillLanguages(ui.lang, saved?.lang?.[0]);
void loadTerms(ui.terms);
pollOnline((count) => view.showOnline(count), () => client.status === 'open' && client.state === 'paired');
view.syncControls();
connectFirst();
ui.interests.focus();
