import type { WebSocket } from 'ws';
import { metrics } from '../metrics.js';

/** Pings not yet answered, kept on the socket itself (the ws README's `isAlive` flag generalised to a count). */
const kMissed = Symbol('missed-pings');
type WatchedSocket = WebSocket & { [kMissed]?: number };

/**
 * The ws README's heartbeat recipe for one WebSocketServer's sockets: every interval each
 * socket is pinged; a pong clears its count; a socket that left `maxMissed` pings unanswered
 * is terminated. Terminating fires the socket's `close`, so whatever owns it (a `/ws` session
 * entering its resume grace, a room member releasing its name) reacts as to any drop.
 * A half-open TCP connection (peer gone, no FIN) is only ever found this way.
 *
 * It walks the server's own `clients` set (ws keeps it and drops a socket when it closes)
 * rather than a set of its own: a second set, a close listener and a map entry per socket
 * cost memory on every idle connection.
 */
export class Heartbeat {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly intervalMs: number,
    private readonly maxMissed: number,
    private readonly sockets: ReadonlySet<WebSocket>,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Call as the socket opens: the count is set while V8 still sizes WebSocket objects, so it costs no extra allocation. */
  watch(socket: WebSocket): void {
    (socket as WatchedSocket)[kMissed] = 0;
    socket.on('pong', socketOnPong);
  }

  private tick(): void {
    for (const socket of this.sockets as ReadonlySet<WatchedSocket>) {
      const count = socket[kMissed];
      if (count === undefined) continue; // not watched, or already cut
      if (count >= this.maxMissed) {
        socket[kMissed] = undefined; // it leaves the set once its close is through
        metrics.connectionsCut.inc({ reason: 'heartbeat' });
        socket.terminate();
        continue;
      }
      socket[kMissed] = count + 1;
      // ping() throws only on a socket that is not open; its close is already on the way.
      if (socket.readyState === socket.OPEN) socket.ping();
    }
  }
}

function socketOnPong(this: WatchedSocket): void {
  this[kMissed] = 0;
}
