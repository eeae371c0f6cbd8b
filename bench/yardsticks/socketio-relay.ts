// Yardstick: Socket.IO + @socket.io/redis-streams-adapter across two servers (what a team
// would otherwise pick). Each pair is a room; a message is broadcast to the room minus the sender.
import { createServer } from 'node:http';
import { createAdapter } from '@socket.io/redis-streams-adapter';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const server = createServer((_request, response) => response.end('ok\n'));
const io = new Server(server, { adapter: createAdapter(redis), transports: ['websocket'], perMessageDeflate: false });

io.on('connection', function onConnection(socket) {
  const room = `p${String(socket.handshake.query.pair ?? '')}`;
  void socket.join(room);
  socket.on('m', function onMessage(text: string) {
    socket.to(room).emit('m', text);
  });
});

server.listen(Number(process.env.PORT ?? 0), '127.0.0.1');
