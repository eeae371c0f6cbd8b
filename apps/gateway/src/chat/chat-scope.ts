import type { ClientFrame } from '@strangers/protocol';

/**
 * The chat-scoped frames (PROTOCOL.md §1, v1.1): their optional `chat` names the chat they were
 * written for. (`rematch` also carries a `chat`, but an ended one: not chat-scoped.)
 */
const CHAT_SCOPED: ReadonlySet<string> = new Set(['message', 'typing', 'next', 'report', 'signal']);

/**
 * A chat-scoped frame written for a chat that is not the session's current one (that chat
 * ended, or the server has moved the session on meanwhile): it must have no effect, so a
 * message never lands in a chat its sender has not seen.
 */
export function isStaleChatFrame(frame: ClientFrame, currentChat: string | undefined): boolean {
  if (!CHAT_SCOPED.has(frame.type)) return false;
  const chat = (frame as { chat?: string }).chat;
  return chat !== undefined && chat !== currentChat;
}
