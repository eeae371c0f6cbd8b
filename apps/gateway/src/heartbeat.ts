import type { WebSocket } from 'ws';
import { metrics } from './metrics.js';

/** Pings not yet answered, per socket; the ws README's `isAlive` flag generalised to a count. */
const missed = new WeakMap<WebSocket, number>();

/**
 * The ws README's heartbeat recipe for a set of sockets: every interval each socket is
 * pinged; a pong clears its count; a socket that left `maxMissed` pings unanswered is
 * terminated. Terminating fires the socket's `close`, so whatever owns it (a `/ws` session
 * entering its resume grace, a room member releasing its name) reacts as to any drop.
 * A half-open TCP connection (peer gone, no FIN) is only ever found this way.
 */
export class Heartbeat {
  private readonly sockets = new Set<WebSocket>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly intervalMs: number,
    private readonly maxMissed: number,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  watch(socket: WebSocket): void {
    missed.set(socket, 0);
    this.sockets.add(socket);
    socket.on('pong', socketOnPong);
    socket.once('close', () => this.sockets.delete(socket));
  }

  private tick(): void {
    for (const socket of this.sockets) {
      const count = missed.get(socket) ?? 0;
      if (count >= this.maxMissed) {
        this.sockets.delete(socket);
        metrics.connectionsCut.inc({ reason: 'heartbeat' });
        socket.terminate();
        continue;
      }
      missed.set(socket, count + 1);
      // ping() throws only on a socket that is not open; its close is already on the way.
      if (socket.readyState === socket.OPEN) socket.ping();
    }
  }
}

function socketOnPong(this: WebSocket): void {
  missed.set(this, 0);
}
