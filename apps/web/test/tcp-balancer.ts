import { connect, createServer, type Server, type Socket } from 'node:net';

export interface Balancer {
  port: number;
  /** Drops every open connection and refuses new ones: a network outage, as the page sees it. */
  cut(): void;
  close(): Promise<void>;
}

/**
 * A tiny TCP load balancer in front of gateways: each connection goes to the first
 * upstream that accepts it, in the given order. It stands in for the production load
 * balancer, so a page whose gateway dies reconnects, through the same address, to another.
 */
export async function startBalancer(upstreamPorts: number[]): Promise<Balancer> {
  const sockets = new Set<Socket>();
  let down = false;
  const server: Server = createServer((client) => {
    if (down) {
      client.destroy();
      return;
    }
    sockets.add(client);
    client.once('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    forward(client, upstreamPorts, 0, sockets);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    port: address && typeof address === 'object' ? address.port : 0,
    cut() {
      down = true;
      for (const socket of sockets) socket.destroy();
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function forward(client: Socket, ports: number[], index: number, sockets: Set<Socket>): void {
  const port = ports[index];
  if (port === undefined || client.destroyed) {
    client.destroy();
    return;
  }
  const upstream = connect(port, '127.0.0.1');
  sockets.add(upstream);
  upstream.once('close', () => sockets.delete(upstream));
  upstream.once('error', function onUpstreamRefused() {
    upstream.destroy();
    forward(client, ports, index + 1, sockets);
  });
  upstream.once('connect', function onUpstreamConnected() {
    upstream.removeAllListeners('error');
    // The upstream dying must look like a dropped connection to the browser, not a clean end.
    upstream.on('error', () => client.destroy());
    upstream.once('close', () => client.destroy());
    client.once('close', () => upstream.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  });
}
