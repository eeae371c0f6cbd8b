import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { resolveStaticPath, serveStaticFile } from '../src/static-files.ts';

let root: string;
let server: Server;
let base: string;

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'strangers-static-'));
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>t</title>');
  writeFileSync(join(root, 'app.js'), 'console.log(1)');
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
