import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@strangers/config';
import {
  actOnReport,
  BAN_GROUNDS,
  CATEGORIES,
  decideAppeal,
  getBan,
  getReport,
  liftBan,
  listAppeals,
  listAudit,
  listBansInForce,
  listReports,
  liftRequestSchema,
  decisionRequestSchema,
  actionRequestSchema,
  type ModerationMetrics,
} from '@strangers/moderation';
import type { Redis } from '@strangers/redis';
import type { ModerationConfig } from '../config.js';
import { readJson, sendError, sendJson } from '../http/respond.js';
import { appealsQuerySchema, auditQuerySchema, emptyQuerySchema, parseId, queryOf, reportsQuerySchema } from './queries.js';

export interface ApiContext {
  redis: Redis;
  config: ModerationConfig;
  logger: Logger;
  metrics: ModerationMetrics;
}

export interface ApiCall {
  request: IncomingMessage;
  response: ServerResponse;
  url: URL;
  /** Path segments after `/api/`. */
  segments: string[];
  moderator: string;
}

type Handler = (context: ApiContext, call: ApiCall) => Promise<void>;

function notFound(call: ApiCall, what: string): void {
  sendError(call.response, 404, 'not_found', `no ${what} with that id`);
}

const handlers: { method: string; path: RegExp; handle: Handler }[] = [
  {
    method: 'GET',
    path: /^me$/,
    async handle(_context, call) {
      emptyQuerySchema.parse(queryOf(call.url));
      sendJson(call.response, 200, { moderator: call.moderator });
    },
  },
  {
    method: 'GET',
    path: /^settings$/,
    async handle(context, call) {
      const grounds = Object.entries(BAN_GROUNDS).map(([code, label]) => ({ code, label }));
      sendJson(call.response, 200, { grounds, categories: CATEGORIES, retention: context.config.retention, publicUrl: context.config.publicUrl });
    },
  },
  {
    method: 'GET',
    path: /^reports$/,
    async handle(context, call) {
      const query = reportsQuerySchema.parse(queryOf(call.url));
      const page = await listReports(context.redis, query);
      sendJson(call.response, 200, { reports: page.items, next: page.next ?? null });
    },
  },
  {
    method: 'GET',
    path: /^reports\/[^/]+$/,
    async handle(context, call) {
      const id = parseId(call.segments[1]);
      const report = id && (await getReport(context.redis, id));
      if (!report) return notFound(call, 'report');
      sendJson(call.response, 200, report);
    },
  },
  {
    method: 'POST',
    path: /^reports\/[^/]+\/actions$/,
    async handle(context, call) {
      const body = actionRequestSchema.parse(await readJson(call.request));
      const id = parseId(call.segments[1]);
      if (!id) return notFound(call, 'report');
      const result = await actOnReport(context.redis, id, body, call.moderator, {
        publicUrl: context.config.publicUrl,
        historyDays: context.config.banHistoryDays,
      });
      context.metrics.timeToFirstAction.observe(Math.max(0, result.action.at - result.report.createdAt) / 1000);
      context.logger.info({ moderator: call.moderator, action: body.action, report: id, ban: result.ban?.id }, 'report decided');
      sendJson(call.response, 200, result.ban ? { ban: result.ban.id, until: result.ban.until ?? null, status: 'actioned' } : { status: 'dismissed' });
    },
  },
  {
    method: 'GET',
    path: /^bans$/,
    async handle(context, call) {
      emptyQuerySchema.parse(queryOf(call.url));
      sendJson(call.response, 200, { bans: await listBansInForce(context.redis) });
    },
  },
  {
    method: 'GET',
    path: /^bans\/[^/]+$/,
    async handle(context, call) {
      const id = parseId(call.segments[1]);
      const ban = id && (await getBan(context.redis, id));
      if (!ban) return notFound(call, 'ban');
      sendJson(call.response, 200, ban);
    },
  },
  {
    method: 'DELETE',
    path: /^bans\/[^/]+$/,
    async handle(context, call) {
      const body = liftRequestSchema.parse(await readJson(call.request));
      const id = parseId(call.segments[1]);
      if (!id) return notFound(call, 'ban');
      await liftBan(context.redis, id, call.moderator, body.reason ?? '');
      context.logger.info({ moderator: call.moderator, ban: id }, 'ban lifted');
      sendJson(call.response, 200, { lifted: id });
    },
  },
  {
    method: 'GET',
    path: /^appeals$/,
    async handle(context, call) {
      const query = appealsQuerySchema.parse(queryOf(call.url));
      const page = await listAppeals(context.redis, query);
      sendJson(call.response, 200, { appeals: page.items, next: page.next ?? null });
    },
  },
  {
    method: 'POST',
    path: /^appeals\/[^/]+\/decision$/,
    async handle(context, call) {
      const body = decisionRequestSchema.parse(await readJson(call.request));
      const id = parseId(call.segments[1]);
      if (!id) return notFound(call, 'appeal');
      const appeal = await decideAppeal(context.redis, id, body, call.moderator);
      context.logger.info({ moderator: call.moderator, appeal: id, decision: body.decision }, 'appeal decided');
      sendJson(call.response, 200, { appeal: appeal.id, status: appeal.status, ban: appeal.ban });
    },
  },
  {
    method: 'GET',
    path: /^audit$/,
    async handle(context, call) {
      const query = auditQuerySchema.parse(queryOf(call.url));
      const page = await listAudit(context.redis, query);
      sendJson(call.response, 200, { entries: page.items, next: page.next ?? null });
    },
  },
];

/** Routes an authenticated `/api/…` call; 404 for an unknown path, 405 for a known path with another method. */
export async function routeApi(context: ApiContext, call: ApiCall): Promise<void> {
  const path = call.segments.join('/');
  const matching = handlers.filter((handler) => handler.path.test(path));
  const handler = matching.find((candidate) => candidate.method === call.request.method);
  if (handler) return handler.handle(context, call);
  if (matching.length > 0) {
    const allow = matching.map((candidate) => candidate.method).join(', ');
    return sendError(call.response, 405, 'method_not_allowed', `use ${allow}`, { allow });
  }
  sendError(call.response, 404, 'not_found', `no API call ${call.request.method} /api/${path}`);
}
