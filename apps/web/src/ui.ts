import { MessageList } from './message-list.js';

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`#${id} missing from index.html`);
  return found as T;
}

/** Every element the app drives, looked up once. */
export const ui = {
  online: element<HTMLParagraphElement>('online'),
  startScreen: element<HTMLElement>('start-screen'),
  startForm: element<HTMLFormElement>('start-form'),
  interests: element<HTMLInputElement>('interests'),
  requeue: element<HTMLInputElement>('requeue'),
  sound: element<HTMLInputElement>('sound'),
  notify: element<HTMLInputElement>('notify'),
  notifyHelp: element<HTMLParagraphElement>('notify-help'),
  banner: element<HTMLParagraphElement>('banner'),
  startButton: element<HTMLButtonElement>('start-button'),
  startError: element<HTMLParagraphElement>('start-error'),
  chatScreen: element<HTMLElement>('chat-screen'),
  status: element<HTMLParagraphElement>('status'),
  newChat: element<HTMLButtonElement>('new-chat'),
  typing: element<HTMLParagraphElement>('typing'),
  composer: element<HTMLFormElement>('composer'),
  message: element<HTMLTextAreaElement>('message'),
  composerHelp: element<HTMLParagraphElement>('composer-help'),
  send: element<HTMLButtonElement>('send'),
  next: element<HTMLButtonElement>('next'),
  leave: element<HTMLButtonElement>('leave'),
  report: element<HTMLButtonElement>('report'),
  reportDialog: element<HTMLDialogElement>('report-dialog'),
  reportReason: element<HTMLInputElement>('report-reason'),
  lang: element<HTMLSelectElement>('lang'),
  agree: element<HTMLInputElement>('agree'),
  reconnect: element<HTMLButtonElement>('reconnect'),
  nextLabel: element<HTMLElement>('next-label'),
  nextHelp: element<HTMLElement>('next-help'),
  proof: { box: element<HTMLElement>('proof'), bar: element<HTMLProgressElement>('proof-bar') },
  terms: {
    text: element<HTMLElement>('terms-text'),
    link: element<HTMLElement>('terms-link'),
    linkAnchor: element<HTMLAnchorElement>('terms-link-a'),
    minorChoice: element<HTMLElement>('age-minor-label'),
    adult: element<HTMLInputElement>('age-adult'),
  },
  ban: {
    screen: element<HTMLElement>('banned-screen'),
    reason: element<HTMLElement>('banned-reason'),
    until: element<HTMLElement>('banned-until'),
    appeal: element<HTMLElement>('banned-appeal'),
    appealLink: element<HTMLAnchorElement>('banned-appeal-link'),
  },
  call: element<HTMLElement>('call'),
  remoteVideo: element<HTMLVideoElement>('remote-video'),
  localVideo: element<HTMLVideoElement>('local-video'),
  callStatus: element<HTMLParagraphElement>('call-status'),
  mute: element<HTMLButtonElement>('mute'),
  camera: element<HTMLButtonElement>('camera'),
};
export const messages = new MessageList(element<HTMLOListElement>('messages'));
