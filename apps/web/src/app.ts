import { StrangerClient, StrangerClientError, type JoinOptions } from '@strangers/client';
import { MessageList } from './message-list.js';

/** The server's resume grace (PROTOCOL.md, default 15 s) plus a margin: past it the chat is gone. */
const GRACE_MS = 17_000;
/** Stop showing "typing" if the partner's "stopped typing" never comes (e.g. they lost connection). */
const PARTNER_TYPING_TIMEOUT_MS = 8000;
/** Tell the partner we stopped typing after this much silence. */
const OWN_TYPING_IDLE_MS = 3000;
const MAX_INTERESTS = 10;

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`#${id} missing from index.html`);
  return found as T;
}

const ui = {
  online: element<HTMLParagraphElement>('online'),
  startScreen: element<HTMLElement>('start-screen'),
  startForm: element<HTMLFormElement>('start-form'),
  interests: element<HTMLInputElement>('interests'),
  requeue: element<HTMLInputElement>('requeue'),
  startButton: element<HTMLButtonElement>('start-button'),
  startError: element<HTMLParagraphElement>('start-error'),
  chatScreen: element<HTMLElement>('chat-screen'),
  status: element<HTMLParagraphElement>('status'),
  newChat: element<HTMLButtonElement>('new-chat'),
  typing: element<HTMLParagraphElement>('typing'),
  composer: element<HTMLFormElement>('composer'),
  message: element<HTMLTextAreaElement>('message'),
  send: element<HTMLButtonElement>('send'),
  next: element<HTMLButtonElement>('next'),
  leave: element<HTMLButtonElement>('leave'),
  report: element<HTMLButtonElement>('report'),
  reportDialog: element<HTMLDialogElement>('report-dialog'),
  reportReason: element<HTMLInputElement>('report-reason'),
};
const messages = new MessageList(element<HTMLOListElement>('messages'));

function socketUrl(): string {
  const url = new URL('/ws', window.location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.toString();
}

const client = new StrangerClient({ url: socketUrl() });
let joinOptions: JoinOptions = {};
let partnerTypingTimer: number | undefined;
let ownTypingTimer: number | undefined;
let ownTyping = false;
let graceTimer: number | undefined;
/** Set when the chat was lost while offline, so the resume that follows does not pretend otherwise. */
let chatLost = false;

function parseInterests(raw: string): string[] {
  const tags = raw
    .split(',')
    .map((tag) => tag.trim().toLowerCase())
    .filter((tag) => tag.length > 0)
    .map((tag) => tag.slice(0, 32));
  return [...new Set(tags)].slice(0, MAX_INTERESTS);
}

function showOnline(count: number): void {
  ui.online.textContent = count === 1 ? '1 person online' : `${count} people online`;
}

function showScreen(screen: 'start' | 'chat'): void {
  ui.startScreen.hidden = screen !== 'start';
  ui.chatScreen.hidden = screen !== 'chat';
}

/** Enables exactly the controls that make sense in the current session state. */
function syncControls(): void {
  const open = client.status === 'open';
  const paired = open && client.state === 'paired';
  ui.message.disabled = !paired;
  ui.send.disabled = !paired;
  ui.next.disabled = !paired;
  ui.report.disabled = !paired;
  ui.leave.disabled = !open || client.state === 'idle';
  ui.startButton.disabled = !open;
}

function setStatus(text: string, offerNewChat = false): void {
  ui.status.textContent = text;
  ui.newChat.hidden = !offerNewChat;
  syncControls();
}

function showPartnerTyping(typing: boolean): void {
  window.clearTimeout(partnerTypingTimer);
  ui.typing.hidden = !typing;
  if (typing) partnerTypingTimer = window.setTimeout(() => showPartnerTyping(false), PARTNER_TYPING_TIMEOUT_MS);
}

function stopOwnTyping(): void {
  window.clearTimeout(ownTypingTimer);
  if (ownTyping) client.typing(false);
  ownTyping = false;
}

function statusForState(): void {
  if (client.state === 'paired') {
    const shared = client.interests;
    setStatus(shared.length > 0 ? `Chatting with a stranger. You both like: ${shared.join(', ')}` : 'Chatting with a stranger');
  } else if (client.state === 'waiting') {
    setStatus(`Looking for someone… (${client.online} online)`);
  } else {
    setStatus('Not in a chat', true);
  }
}

function startChat(): void {
  ui.startError.textContent = '';
  chatLost = false;
  try {
    client.join(joinOptions);
  } catch (error) {
    ui.startError.textContent = error instanceof Error ? error.message : 'Could not start';
    return;
  }
  messages.clear();
  showScreen('chat');
  setStatus('Looking for someone…');
  ui.status.focus();
}

function sendMessage(text: string): void {
  const item = messages.own(text);
  stopOwnTyping();
  client.send(text).then(
    () => messages.acked(item),
    (error: unknown) => {
      const code = error instanceof StrangerClientError ? error.code : 'unknown';
      const why =
        code === 'connection_lost'
          ? 'connection lost; it may or may not have arrived'
          : code === 'rate_limited'
            ? 'too fast, slow down'
            : code === 'text_too_long'
              ? 'too long'
              : 'not delivered';
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
  joinOptions = { interests: parseInterests(ui.interests.value), requeue: ui.requeue.checked };
  startChat();
}

function onComposerSubmit(event: SubmitEvent): void {
  event.preventDefault();
  const text = ui.message.value.trim();
  if (text.length === 0 || client.state !== 'paired') return;
  ui.message.value = '';
  sendMessage(text);
  ui.message.focus();
}

function onMessageKeydown(event: KeyboardEvent): void {
  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    ui.composer.requestSubmit();
  }
}

function onMessageInput(): void {
  if (!ownTyping && ui.message.value.length > 0) {
    client.typing(true);
    ownTyping = true;
  }
  window.clearTimeout(ownTypingTimer);
  ownTypingTimer = window.setTimeout(stopOwnTyping, OWN_TYPING_IDLE_MS);
}

function onNextClick(): void {
  if (client.state !== 'paired') return;
  stopOwnTyping();
  showPartnerTyping(false);
  client.next();
  messages.system('You left the chat.');
  setStatus('Looking for someone…');
}

function onLeaveClick(): void {
  stopOwnTyping();
  showPartnerTyping(false);
  if (client.status === 'open' && client.state !== 'idle') client.leave();
  showScreen('start');
  syncControls();
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
  showPartnerTyping(false);
  client.report(reason.length > 0 ? reason.slice(0, 200) : undefined);
  messages.system('You reported the stranger. You will not be matched with them again.');
  setStatus('Looking for someone…');
  ui.status.focus();
}

function onNewChatClick(): void {
  startChat();
}

function onDocumentKeydown(event: KeyboardEvent): void {
  // Escape inside the dialog closes the dialog (its own behaviour), not the chat.
  if (event.key !== 'Escape' || ui.reportDialog.open || ui.chatScreen.hidden) return;
  event.preventDefault();
  onNextClick();
}

ui.startForm.addEventListener('submit', onStartSubmit);
ui.composer.addEventListener('submit', onComposerSubmit);
ui.message.addEventListener('keydown', onMessageKeydown);
ui.message.addEventListener('input', onMessageInput);
ui.next.addEventListener('click', onNextClick);
ui.leave.addEventListener('click', onLeaveClick);
ui.report.addEventListener('click', onReportClick);
ui.reportDialog.addEventListener('close', onReportClose);
ui.newChat.addEventListener('click', onNewChatClick);
document.addEventListener('keydown', onDocumentKeydown);

// --- client events ------------------------------------------------------------

function onWelcome({ online }: { online: number }): void {
  showOnline(online);
  syncControls();
}

function onWaiting({ online }: { online: number }): void {
  showOnline(online);
  if (ui.chatScreen.hidden) return;
  setStatus(`Looking for someone… (${online} online)`);
}

function onPaired({ interests }: { interests: string[] }): void {
  chatLost = false;
  messages.clear();
  showPartnerTyping(false);
  showScreen('chat');
  messages.system(
    interests.length > 0 ? `You're now chatting with a stranger. You both like: ${interests.join(', ')}.` : "You're now chatting with a stranger. Say hi!",
  );
  statusForState();
  ui.message.focus();
}

function onPartnerMessage({ text }: { text: string }): void {
  showPartnerTyping(false);
  messages.partner(text);
}

const LEFT_TEXT = {
  left: 'Stranger left the chat.',
  next: 'Stranger moved on to someone else.',
  disconnected: 'Stranger lost their connection.',
  reported: 'The chat was ended.',
} as const;

function onPartnerLeft({ reason }: { reason: keyof typeof LEFT_TEXT }): void {
  stopOwnTyping();
  showPartnerTyping(false);
  messages.system(LEFT_TEXT[reason]);
  if (joinOptions.requeue !== false) {
    setStatus('Stranger left. Looking for someone new…');
  } else {
    setStatus('Stranger left.', true);
    ui.newChat.focus();
  }
}

function onReconnecting({ since }: { since: number }): void {
  showPartnerTyping(false);
  setStatus('Reconnecting…');
  window.clearTimeout(graceTimer);
  const left = GRACE_MS - (Date.now() - since);
  graceTimer = window.setTimeout(onGraceOver, Math.max(0, left));
}

/** Still offline after the server's grace: the chat is over even if we come back later. */
function onGraceOver(): void {
  if (client.status !== 'reconnecting' || client.state === 'idle') return;
  chatLost = true;
  messages.system('The chat ended: the connection was lost for too long.');
  setStatus('Reconnecting… the chat has ended.');
}

function onResumed(): void {
  window.clearTimeout(graceTimer);
  if (ui.chatScreen.hidden) {
    syncControls();
    return;
  }
  statusForState();
}

function onChatEnded({ reason }: { reason: 'resume_failed' | 'ended_while_away' }): void {
  window.clearTimeout(graceTimer);
  if (!chatLost) {
    messages.system(
      reason === 'resume_failed' ? 'The chat ended: the connection was lost for too long.' : 'The chat ended while you were offline.',
    );
  }
  chatLost = false;
  setStatus('The chat has ended.', true);
  ui.newChat.focus();
}

function onClientError({ code, message }: { code: string; message: string }): void {
  if (code === 'resume_failed') return; // reported through chat_ended
  if (ui.chatScreen.hidden) ui.startError.textContent = message;
  else messages.system(`Error: ${message}`);
  syncControls();
}

function onClosed(): void {
  window.clearTimeout(graceTimer);
  ui.online.textContent = 'Offline';
  setStatus('Disconnected. Reload the page to try again.');
}

client.on('welcome', onWelcome);
client.on('waiting', onWaiting);
client.on('paired', onPaired);
client.on('message', onPartnerMessage);
client.on('typing', ({ typing }) => showPartnerTyping(typing));
client.on('partner_left', onPartnerLeft);
client.on('reconnecting', onReconnecting);
client.on('resumed', onResumed);
client.on('chat_ended', onChatEnded);
client.on('error', onClientError);
client.on('closed', onClosed);
client.on('state', syncControls);

/** The first connection; retried until the gateway answers (e.g. page opened during a deploy). */
function connectFirst(): void {
  client.connect().catch(() => {
    ui.online.textContent = 'Cannot reach the server, retrying…';
    window.setTimeout(connectFirst, 3000);
  });
}

syncControls();
connectFirst();
ui.interests.focus();
