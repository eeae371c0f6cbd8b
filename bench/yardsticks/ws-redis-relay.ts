// Yardstick: a bare two-process ws + Redis Streams relay (the architecture's ceiling).
// A frame is XADDed to the other process's stream; each process XREAD BLOCKs on its own
// stream (on a dedicated connection) and hands entries to the local socket of the pair.
import { createServer } from 'node:http';
import { Redis } from 'ioredis';
import { WebSocketServer, type WebSocket } from 'ws';

const self = process.env.NODE_ID === 'b' ? 'b' : 'a';
const other = self === 'a' ? 'b' : 'a';
const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const commands = new Redis(url, { enableAutoPipelining: true });
const reader = new Redis(url);
const local = new Map<string, WebSocket>();

const server = createServer((_request, response) => response.end('ok\n'));
const wss = new WebSocketServer({ server, perMessageDeflate: false, maxPayload: 16 * 1024 });
wss.on('connection', function onConnection(socket, request) {
  const pair = new URL(request.url ?? '/', 'http://x').searchParams.get('pair') ?? '';
  local.set(pair, socket);
  socket.on('message', function onMessage(data) {
    void commands.xadd(`bench:inbox:${other}`, 'MAXLEN', '~', '100000', '*', 'p', pair, 'm', data.toString());
  });
  socket.on('close', () => {
    if (local.get(pair) === socket) local.delete(pair);
  });
});

async function readLoop(): Promise<void> {
  let last = '$';
  for (;;) {
    const reply = (await reader.xread('COUNT', 1000, 'BLOCK', 0, 'STREAMS', `bench:inbox:${self}`, last)) as
      | [string, [string, string[]][]][]
      | null;
    for (const [, entries] of reply ?? []) {
      for (const [id, fields] of entries) {
        last = id;
        local.get(fields[1]!)?.send(fields[3]!);
      }
    }
  }
}

void readLoop();
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1');
