import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@strangers/config';
import { appealTextSchema, createAppeal, getBan, inForce, ModerationError, takeAppealAllowance } from '@strangers/moderation';
import type { Redis } from '@strangers/redis';
import { parseId } from '../api/queries.js';
import { HttpError, readBody, sendHtml } from '../http/respond.js';
import { appealFormPage, messagePage } from './page.js';

export interface AppealContext {
  redis: Redis;
  logger: Logger;
  appealsPerHour: number;
  addressHash: (request: IncomingMessage) => string;
}

/** The form body may be a little over the text limit (URL encoding); more is refused (413). */
const MAX_FORM_BYTES = 8 * 1024;
const HOUR_MS = 3600_000;

/** `GET /appeal/<ban id>` shows the form; `POST` files the appeal. No login: the link is the credential. */
export async function handleAppeal(context: AppealContext, request: IncomingMessage, response: ServerResponse, rawId: string): Promise<void> {
  const id = parseId(rawId);
  const ban = id ? await getBan(context.redis, id) : undefined;
  if (!ban || !id) return sendHtml(response, 404, messagePage('Appeal a ban', 'There is no ban at this address. Check the link you were given.'));
  if (request.method !== 'POST') {
    if (!inForce(ban, Date.now())) return sendHtml(response, 410, messagePage('Appeal a ban', 'This ban is no longer in force: there is nothing to appeal.'));
    if (ban.appealId) return sendHtml(response, 409, messagePage('Appeal a ban', 'This ban has been appealed already. A moderator will decide it.'));
    return sendHtml(response, 200, appealFormPage(ban));
  }
  // Rate limit before reading the body, so a flood costs one INCR per request.
  if (!(await takeAppealAllowance(context.redis, context.addressHash(request), context.appealsPerHour, HOUR_MS))) {
    response.setHeader('retry-after', '3600');
    return sendHtml(response, 429, messagePage('Appeal a ban', 'Too many appeals from your network. Try again in an hour.'));
  }
  let text: string;
  try {
    if (!/^application\/x-www-form-urlencoded\b/i.test(request.headers['content-type'] ?? '')) throw new HttpError(415, 'unsupported_media_type', 'Send the form.');
    text = new URLSearchParams(await readBody(request, MAX_FORM_BYTES)).get('text') ?? '';
  } catch (error) {
    const status = error instanceof HttpError ? error.status : 400;
    return sendHtml(response, status, messagePage('Appeal a ban', status === 413 ? 'Your appeal is too long.' : 'The form could not be read.'));
  }
  const parsed = appealTextSchema.safeParse(text);
  if (!parsed.success) {
    return sendHtml(response, 400, appealFormPage(ban, { error: parsed.error.issues[0]?.message ?? 'Check your appeal.', text: text.slice(0, 4000) }));
  }
  try {
    const appeal = await createAppeal(context.redis, id, parsed.data);
    context.logger.info({ ban: id, appeal: appeal.id }, 'appeal filed');
    return sendHtml(response, 201, messagePage('Appeal received', 'Thank you. A moderator will read your appeal and decide it.'));
  } catch (error) {
    if (error instanceof ModerationError) return sendHtml(response, error.code === 'not_found' ? 404 : 409, messagePage('Appeal a ban', error.message));
    throw error;
  }
}
