import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { after, before, test } from 'node:test';
import { createStaticFiles, resolveStaticPath, serveStaticFile } from '../src/edge/static-files.ts';

let root: string;
let server: Server;
let base: string;

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'strangers-static-'));
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>t</title>');
  writeFileSync(join(root, 'app.js'), 'console.log(1)');
  writeFileSync(join(root, 'style.css'), 'body{}');
  writeFileSync(join(root, 'style.css.gz'), gzipSync('body{}'));
  mkdirSync(join(root, 'sub'));
  server = createServer((request, response) => serveStaticFile(root, request, response));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  base = `http://127.0.0.1:${address && typeof address === 'object' ? address.port : 0}`;
});

after(() => {
  server.close();
  rmSync(root, { recursive: true, force: true });
});

test('/ is index.html, with its content type and security headers', async () => {
  const response = await fetch(`${base}/`);
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('content-type'), 'text/html; charset=utf-8');
  assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
  assert.match(response.headers.get('content-security-policy') ?? '', /default-src 'self'/);
  assert.equal(await response.text(), '<!doctype html><title>t</title>');
});

test('assets get their content type; the query string is ignored', async () => {
  const response = await fetch(`${base}/app.js?v=2`);
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('content-type'), 'text/javascript; charset=utf-8');
  assert.equal(await response.text(), 'console.log(1)');
});

test('missing files and directories are 404', async () => {
  assert.equal((await fetch(`${base}/nope.css`)).status, 404);
  assert.equal((await fetch(`${base}/sub`)).status, 404);
});

test('paths that would leave the root are refused', () => {
  assert.equal(resolveStaticPath(root, '/../etc/passwd'), undefined);
  assert.equal(resolveStaticPath(root, '/%2e%2e/%2e%2e/etc/passwd'), undefined);
  assert.equal(resolveStaticPath(root, '/..%2fsecret'), undefined);
  assert.equal(resolveStaticPath(root, '/a%00.js'), undefined);
  assert.equal(resolveStaticPath(root, '/%E0%A4%A'), undefined);
  assert.equal(resolveStaticPath(root, '/..\\secret'), undefined);
  assert.equal(resolveStaticPath(root, '/'), join(root, 'index.html'));
  assert.equal(resolveStaticPath(root, '/sub/../app.js'), join(root, 'app.js'));
});

test('HEAD gets the headers without a body', async () => {
  const response = await fetch(`${base}/app.js`, { method: 'HEAD' });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('content-length'), '14');
  assert.equal(await response.text(), '');
});

test('a file is revalidated by its ETag: If-None-Match answers 304 without a body', async () => {
  const first = await fetch(`${base}/app.js`);
  const etag = first.headers.get('etag');
  assert.ok(etag, 'an ETag is sent');
  assert.equal(first.headers.get('cache-control'), 'no-cache');
  await first.text();
  const again = await fetch(`${base}/app.js`, { headers: { 'if-none-match': etag } });
  assert.equal(again.status, 304);
  assert.equal(await again.text(), '');
  const changed = await fetch(`${base}/app.js`, { headers: { 'if-none-match': 'W/"other"' } });
  assert.equal(changed.status, 200);
  assert.equal(await changed.text(), 'console.log(1)');
});

test('a precompressed .gz beside a file is sent to clients that accept gzip, with the original type', async () => {
  const { request } = await import('node:http');
  const { status, headers, body } = await new Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }>((resolve, reject) => {
    request(`${base}/style.css`, { headers: { 'accept-encoding': 'gzip' } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }));
    })
      .on('error', reject)
      .end();
  });
  assert.equal(status, 200);
  assert.equal(headers['content-encoding'], 'gzip');
  assert.equal(headers['content-type'], 'text/css; charset=utf-8');
  assert.equal(gunzipSync(body).toString(), 'body{}');
  const plain = await fetch(`${base}/style.css`, { headers: { 'accept-encoding': 'identity' } });
  assert.equal(plain.headers.get('content-encoding'), null);
  assert.equal(await plain.text(), 'body{}');
});

test('a missing favicon is answered 204, not 404', async () => {
  const response = await fetch(`${base}/favicon.ico`);
  assert.equal(response.status, 204);
});

test('a file that cannot be opened after its stat cuts that answer only: reported, and the server goes on serving', async () => {
  // A Unix socket passes sirv's stat as a file, and opening it fails (ENXIO): the same path as a
  // file deleted between the stat and the open.
  const unreadable = createServer();
  unreadable.listen(join(root, 'gone.js'));
  await once(unreadable, 'listening');
  const reported: string[] = [];
  const serve = createStaticFiles(root, (path, error) => reported.push(`${path} ${(error as NodeJS.ErrnoException).code}`));
  const own = createServer((request, response) => serve(request, response)).listen(0, '127.0.0.1');
  await once(own, 'listening');
  const address = own.address();
  const ownBase = `http://127.0.0.1:${address && typeof address === 'object' ? address.port : 0}`;
  try {
    await assert.rejects(fetch(`${ownBase}/gone.js`).then((response) => response.text()));
    assert.deepEqual(reported, ['/gone.js ENXIO']);
    const page = await fetch(`${ownBase}/`);
    assert.equal(page.status, 200);
    assert.equal(await page.text(), '<!doctype html><title>t</title>');
  } finally {
    own.close();
    unreadable.close();
  }
});
