// Yardstick: a bare single-process ws relay (the ceiling of one Node process).
import { createServer } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';

const pairs = new Map<string, { a?: WebSocket; b?: WebSocket }>();
const server = createServer((_request, response) => response.end('ok\n'));
const wss = new WebSocketServer({ server, perMessageDeflate: false, maxPayload: 16 * 1024 });

wss.on('connection', function onConnection(socket, request) {
  const query = new URL(request.url ?? '/', 'http://x').searchParams;
  const pair = query.get('pair') ?? '';
  const side = query.get('side') === 'b' ? 'b' : 'a';
  const slot = pairs.get(pair) ?? {};
  slot[side] = socket;
  pairs.set(pair, slot);
  const other = side === 'a' ? 'b' : 'a';
  socket.on('message', function onMessage(data, isBinary) {
    slot[other]?.send(data, { binary: isBinary });
  });
  socket.on('close', () => {
    if (slot[side] === socket) delete slot[side];
  });
});

server.listen(Number(process.env.PORT ?? 0), '127.0.0.1');
