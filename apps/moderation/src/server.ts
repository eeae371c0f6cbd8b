import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { statusRoutes, type Logger } from '@strangers/config';
import { ModerationError, registerModerationMetrics, type ModerationMetrics } from '@strangers/moderation';
import type { Redis } from '@strangers/redis';
import type { Registry } from 'prom-client';
import { ZodError } from 'zod';
import { routeApi } from './api/routes.js';
import { handleAppeal } from './appeal/handler.js';
import { createAddressHasher } from './client-address.js';
import type { ModerationConfig } from './config.js';
import { createAuthenticator } from './http/auth.js';
import { HttpError, sendError, SECURITY_HEADERS } from './http/respond.js';
import { isConsoleFile, serveConsoleFile } from './http/static-files.js';

export interface ModerationServer {
  server: Server;
  registry: Registry;
  metrics: ModerationMetrics;
}

function describeZodError(error: ZodError): string {
  return error.issues.map((issue) => `${issue.path.map(String).join('.') || 'body'}: ${issue.message}`).join('; ');
}

/** Maps a failure to its 4xx answer (nothing was changed), or 500 for the unexpected. */
function answerFailure(error: unknown, response: ServerResponse, logger: Logger): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  if (error instanceof ZodError) return sendError(response, 400, 'invalid_request', describeZodError(error));
  if (error instanceof HttpError) return sendError(response, error.status, error.code, error.message);
  if (error instanceof ModerationError) {
    const status = error.code === 'not_found' ? 404 : error.code === 'conflict' ? 409 : 400;
    return sendError(response, status, error.code, error.message);
  }
  logger.error({ err: (error as Error).message }, 'request failed');
  sendError(response, 503, 'unavailable', 'the moderation store cannot be reached; try again');
}

function serveText(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }).end(text);
}

/**
 * The moderation service's HTTP server: the API (§5), the console, the appeal form, health
 * and metrics (on `registry`, the process's: see packages/config's createMetricsRegistry).
 */
export function createModerationServer(config: ModerationConfig, redis: Redis, logger: Logger, registry: Registry): ModerationServer {
  const metrics = registerModerationMetrics(registry, redis);
  const status = statusRoutes({ isReady: () => redis.status === 'ready', registry });
  const authenticate = createAuthenticator(config.moderators);
  const addressHash = createAddressHasher(config.trustProxy, config.ipHashSalt);
  const apiContext = { redis, config, logger, metrics };
  const appealContext = { redis, logger, appealsPerHour: config.appealsPerAddressPerHour, addressHash };

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://moderation.invalid');
    const path = url.pathname;
    if (path === '/api' || path.startsWith('/api/')) {
      if (config.moderators.length === 0) return sendError(response, 404, 'api_disabled', 'the moderation API is off: set MODERATOR_TOKENS to turn it on');
      const moderator = authenticate(request);
      if (!moderator) return sendError(response, 401, 'unauthorized', 'send Authorization: Bearer <moderator token>', { 'www-authenticate': 'Bearer realm="moderation"' });
      return routeApi(apiContext, { request, response, url, moderator, segments: path.slice(5).split('/').filter(Boolean) });
    }
    const appeal = /^\/appeal\/([^/]+)$/.exec(path);
    if (appeal && (request.method === 'GET' || request.method === 'POST')) return handleAppeal(appealContext, request, response, appeal[1]!);
    if (request.method !== 'GET' && request.method !== 'HEAD') return serveText(response, 405, 'method not allowed\n');
    if (status(request, response)) return;
    if (isConsoleFile(path)) return serveConsoleFile(config.consoleDir, path, response);
    serveText(response, 404, 'not found\n');
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => answerFailure(error, response, logger));
  });
  return { server, registry, metrics };
}
