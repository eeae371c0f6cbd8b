/**
 * The shipped deploy/nginx/nginx.conf under Debian's nginx: `nginx -t` accepts it as it is,
 * and run on a free loopback port in front of a small real HTTP + WebSocket server (which
 * answers with the headers it received), it replaces a client's X-Forwarded-For with the
 * peer address, keeps /metrics away from the upstream, logs paths without their query, and
 * skips a replica that refuses with 503 (draining, or cut off from Redis).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { WebSocketServer } from 'ws';
import { getFreePort, TestClient, waitFor } from '@strangers/testkit';

const configPath = fileURLToPath(new URL('../../deploy/nginx/nginx.conf', import.meta.url));
const nginxBinary = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((path) => existsSync(path));
const skip = nginxBinary ? false : 'nginx is not installed (apt-get install -y nginx; .ci/run does)';

/** A resume token as a client sends it: it must never reach a log. */
const SECRET = 'resume-token-that-must-not-be-logged';

interface Seen {
  url: string;
  headers: IncomingHttpHeaders;
}

/** The stand-in gateway: answers every request, and every WebSocket's first frame, with what it received. */
async function startEchoUpstream(): Promise<{ server: Server; port: number; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((request, response) => {
    seen.push({ url: request.url ?? '', headers: request.headers });
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ url: request.url, headers: request.headers }));
  });
  const sockets = new WebSocketServer({ noServer: true });
  server.on('upgrade', (request, socket, head) => {
    seen.push({ url: request.url ?? '', headers: request.headers });
    sockets.handleUpgrade(request, socket, head, (ws) => ws.send(JSON.stringify({ type: 'echo', url: request.url, headers: request.headers })));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  assert.ok(address && typeof address === 'object');
  return { server, port: address.port, seen };
}

/** A replica that refuses everything with 503, as a draining gateway (or one cut off from Redis) does. */
async function startRefusingUpstream(): Promise<{ server: Server; port: number; refused: () => number }> {
  let refused = 0;
  const server = createServer((_request, response) => {
    refused += 1;
    response.writeHead(503, { 'content-type': 'text/plain' }).end('not ready\n');
  });
  server.on('upgrade', (_request, socket) => {
    refused += 1;
    socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  assert.ok(address && typeof address === 'object');
  return { server, port: address.port, refused: () => refused };
}

/** Replaces `from` (which must occur exactly once) by `to`: the test fails if the shipped config drifts. */
function rewrite(config: string, from: string, to: string): string {
  assert.equal(config.split(from).length, 2, `nginx.conf contains "${from}" once`);
  return config.replace(from, to);
}

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('deploy/nginx/nginx.conf under Debian nginx', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'strangers-nginx-'));
  const accessLog = join(dir, 'access.log');
  let upstream: Awaited<ReturnType<typeof startEchoUpstream>>;
  let refusing: Awaited<ReturnType<typeof startRefusingUpstream>>;
  /** The stand-in moderation service. */
  let moderation: Awaited<ReturnType<typeof startEchoUpstream>>;
  let nginx: ChildProcess | undefined;
  let entryPort = 0;
  const stderr: string[] = [];

  before(async () => {
    upstream = await startEchoUpstream();
    refusing = await startRefusingUpstream();
    moderation = await startEchoUpstream();
    entryPort = await getFreePort();
    let config = readFileSync(configPath, 'utf8');
    config = rewrite(config, 'listen 80;', `listen 127.0.0.1:${entryPort};`);
    // Two replicas, as Docker's DNS would return them: one refusing, one well. A name that
    // matches an `upstream` block is used as that group (no DNS at request time). max_fails=0
    // keeps the refusing one in the round-robin, so every test meets it.
    config = rewrite(config, 'set $gateway http://gateway:8080;', 'set $gateway http://replicas_under_test;');
    config = rewrite(
      config,
      '    server {\n',
      `    upstream replicas_under_test {\n        server 127.0.0.1:${refusing.port} max_fails=0;\n        server 127.0.0.1:${upstream.port};\n    }\n\n    server {\n`,
    );
    config = rewrite(config, 'set $moderation http://moderation:8090;', `set $moderation http://127.0.0.1:${moderation.port};`);
    config = rewrite(config, 'access_log /var/log/nginx/access.log strangers;', `access_log ${accessLog} strangers;`);
    config = rewrite(config, 'error_log /var/log/nginx/error.log warn;', `error_log ${join(dir, 'error.log')} warn;`);
    // One worker is plenty here (the machine is shared).
    config = rewrite(config, 'worker_processes auto;', 'worker_processes 1;');
    writeFileSync(join(dir, 'nginx.conf'), config);
    nginx = spawn(nginxBinary!, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', 'stderr', '-g', `daemon off; pid ${join(dir, 'nginx.pid')};`], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    nginx.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
    await waitFor(() => portAnswers(entryPort), { timeoutMs: 10_000, what: `nginx on port ${entryPort} (${stderr.join('')})` });
  });

  after(async () => {
    if (nginx && nginx.exitCode === null && nginx.signalCode === null) {
      const exited = once(nginx, 'exit');
      // SIGQUIT: graceful stop of master and workers.
      process.kill(nginx.pid!, 'SIGQUIT');
      await exited;
    }
    for (const server of [upstream?.server, refusing?.server, moderation?.server]) {
      server?.closeAllConnections();
      server?.close();
    }
    rmSync(dir, { recursive: true, force: true });
  });

  test('nginx -t accepts the shipped config as it is', () => {
    const result = spawnSync(nginxBinary!, ['-t', '-c', configPath, '-e', 'stderr', '-g', `pid ${join(dir, 'check.pid')};`], { encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stderr, /syntax is ok/);
    assert.match(result.stderr, /test is successful/);
  });

  test('a client-supplied X-Forwarded-For does not reach the upstream, on HTTP and on WebSocket upgrades', async () => {
    const response = await fetch(`http://127.0.0.1:${entryPort}/chat/users?token=${SECRET}`, {
      headers: { 'X-Forwarded-For': '1.2.3.4', 'X-Real-IP': '1.2.3.4' },
    });
    assert.equal(response.status, 200);
    const echoed = (await response.json()) as Seen;
    assert.equal(echoed.headers['x-forwarded-for'], '127.0.0.1', 'the peer address, not the client-supplied one');
    assert.equal(echoed.headers['x-real-ip'], '127.0.0.1');

    const client = await TestClient.connect(`ws://127.0.0.1:${entryPort}/ws?resume=${SECRET}`, { 'X-Forwarded-For': '1.2.3.4, 5.6.7.8' });
    const frame = (await client.next('echo', 10_000)) as unknown as { url: string; headers: IncomingHttpHeaders };
    assert.equal(frame.url, `/ws?resume=${SECRET}`, 'the query still reaches the gateway');
    assert.equal(frame.headers['x-forwarded-for'], '127.0.0.1');
    assert.equal(frame.headers.upgrade, 'websocket');
    client.close();
    await client.waitClosed(10_000);
  });

  test('a replica that refuses with 503 is skipped: requests and upgrades reach the next one', async () => {
    const before = refusing.refused();
    // Round-robin over two replicas: within a few tries one lands on the refusing replica first.
    for (let attempt = 0; attempt < 4; attempt += 1) {
      assert.equal((await fetch(`http://127.0.0.1:${entryPort}/readyz`)).status, 200);
      const client = await TestClient.connect(`ws://127.0.0.1:${entryPort}/ws`);
      await client.next('echo', 10_000);
      client.close();
      await client.waitClosed(10_000);
    }
    assert.ok(refusing.refused() > before, 'the refusing replica was tried');
  });

  test('/appeal/ reaches the moderation service; its API and console never do, however the path is spelled', async () => {
    for (const method of ['GET', 'POST']) {
      const response = await fetch(`http://127.0.0.1:${entryPort}/appeal/0abc`, { method, ...(method === 'POST' ? { body: 'text=hi', headers: { 'content-type': 'application/x-www-form-urlencoded' } } : {}) });
      assert.equal(response.status, 200);
      assert.equal(((await response.json()) as Seen).url, '/appeal/0abc');
    }
    const tricks = ['/api/reports', '/', '/console.js', '/appeal/%2e%2e/api/reports', '/appeal/../api/bans', '/appeal/.%2E/console.js', '/%61ppeal/../api/me'];
    for (const path of tricks) await fetch(`http://127.0.0.1:${entryPort}${path}`);
    for (const seen of moderation.seen) {
      const path = new URL(seen.url, 'http://moderation.invalid').pathname;
      assert.match(path, /^\/appeal\/[^/]+$/, `only appeal pages reach the moderation service (got ${seen.url})`);
    }
    assert.equal(moderation.seen.length, 2);
  });

  test('/metrics answers 404 on the entry port and never reaches the upstream', async () => {
    for (const path of ['/metrics', '/metrics?x=1', '//metrics', '/%6detrics', '/metrics/']) {
      assert.equal((await fetch(`http://127.0.0.1:${entryPort}${path}`)).status, 404, path);
    }
    assert.ok(!upstream.seen.some((request) => request.url.includes('metrics')), 'the upstream saw no metrics request');
  });

  test('the access log has each path without its query string, and no client-supplied address', async () => {
    const response = await fetch(`http://127.0.0.1:${entryPort}/healthz?resumeToken=${SECRET}`);
    assert.equal(response.status, 200);
    // nginx writes a WebSocket's line when it closes (the test above closed it).
    const log = await waitFor(
      () => {
        const text = existsSync(accessLog) ? readFileSync(accessLog, 'utf8') : '';
        return text.includes('GET /ws ') && text.includes('GET /healthz ') ? text : undefined;
      },
      { timeoutMs: 10_000, what: 'the /ws and /healthz lines in the access log' },
    );
    assert.ok(log.includes('GET /chat/users HTTP/1.1" 200'), log);
    assert.ok(!log.includes(SECRET), 'no resume token in the log');
    assert.ok(!log.includes('?'), 'no query string at all');
    assert.ok(!log.includes('1.2.3.4'), 'no client-supplied address');
  });
});
