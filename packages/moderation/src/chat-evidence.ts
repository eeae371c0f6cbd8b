import { keys, type Redis } from '@strangers/redis';
import { defaultEvidenceLimits } from './evidence.js';
import type { EvidenceMessage } from './schemas.js';

/**
 * The chat's newest stored messages, both directions, oldest first, read from the server's
 * own history stream (`{b<n>}:chat:<id>:log`, written by chat_send): what a gateway hands to
 * `recordReport` as `messages`. Call it before `chat_end`, which deletes that history. The
 * history lives on the chat's slot and the report on `{mod}`: two steps, not one script.
 */
export async function readChatEvidence(
  redis: Redis,
  chatId: string,
  reporterSid: string,
  maxMessages = defaultEvidenceLimits.maxMessages,
): Promise<EvidenceMessage[]> {
  const entries = (await redis.xrevrange(keys.chatLog(chatId), '+', '-', 'COUNT', maxMessages)) as [string, string[]][];
  const messages: EvidenceMessage[] = [];
  for (const [, flat] of entries) {
    const fields: Record<string, string> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!;
    const seq = Number(fields.seq);
    const ts = Number(fields.ts);
    if (!Number.isSafeInteger(seq) || !Number.isSafeInteger(ts) || fields.text === undefined) continue;
    messages.push({ seq, ts, from: fields.from === reporterSid ? 'reporter' : 'reported', text: fields.text });
  }
  return messages.reverse();
}
