import type { BanStatement } from '@strangers/client';

export interface BanView {
  screen: HTMLElement;
  reason: HTMLElement;
  until: HTMLElement;
  appeal: HTMLElement;
  appealLink: HTMLAnchorElement;
}

/** Only http(s) links become clickable: the appeal URL comes from the server but is still not trusted blindly. */
function safeUrl(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  try {
    const url = new URL(raw, window.location.href);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.toString() : undefined;
  } catch {
    return undefined;
  }
}

/** The statement of reasons of a `banned` frame (PROTOCOL.md §3): reason, how long, where to appeal. */
export function showBan(view: BanView, ban: BanStatement | undefined): void {
  view.reason.textContent = ban?.reason || 'not given';
  view.until.textContent = ban?.until ? `The ban ends on ${new Date(ban.until).toLocaleString()}.` : ban ? 'The ban is permanent.' : '';
  const appeal = safeUrl(ban?.appeal);
  view.appeal.hidden = appeal === undefined;
  if (appeal) view.appealLink.href = appeal;
  view.screen.hidden = false;
}
