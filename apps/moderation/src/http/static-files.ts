import { readFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import { SECURITY_HEADERS } from './respond.js';

/** The console's files: a fixed list, so no request path ever reaches the file system. */
const FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/console.js': { file: 'console.js', type: 'text/javascript; charset=utf-8' },
  '/console.js.map': { file: 'console.js.map', type: 'application/json; charset=utf-8' },
  '/styles.css': { file: 'styles.css', type: 'text/css; charset=utf-8' },
};

export function isConsoleFile(path: string): boolean {
  return Object.hasOwn(FILES, path);
}

/** Serves one of the console's files from `dir` (404 when the console was not built). */
export async function serveConsoleFile(dir: string, path: string, response: ServerResponse): Promise<void> {
  const entry = FILES[path]!;
  let body: Buffer;
  try {
    body = await readFile(join(dir, entry.file));
  } catch {
    response.writeHead(404, { ...SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8' }).end('the console is not built (npm run build -w @strangers/moderation-service)\n');
    return;
  }
  response.writeHead(200, { ...SECURITY_HEADERS, 'content-type': entry.type, 'content-length': body.length, 'cache-control': 'no-cache' }).end(body);
}
