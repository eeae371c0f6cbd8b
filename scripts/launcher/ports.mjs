/** Ports for the local stack: all derived from PORT (or free ones from the kernel), checked before use. */
import { createServer } from 'node:net';

/** Resolves true if nothing listens on 127.0.0.1:port (nor on the wildcard address). */
export function portIsFree(port) {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    // No host: the wildcard address, which also clashes with a 127.0.0.1 listener.
    server.listen(port, () => server.close(() => resolve(true)));
  });
}

/** A port the kernel says is free now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Hands out the stack's ports: base, base+1, … in order, or free ones when base is 0.
 * Explicit ports (a variable the user set) are taken as they are.
 */
export class PortPlan {
  constructor(base) {
    this.base = base;
    this.next = base;
    /** name → port */
    this.assigned = new Map();
  }

  async take(name, explicit) {
    const port = explicit ?? (this.base === 0 ? await this.freeUnassigned() : this.next++);
    this.assigned.set(name, port);
    return port;
  }

  async freeUnassigned() {
    for (;;) {
      const port = await freePort();
      if (![...this.assigned.values()].includes(port)) return port;
    }
  }

  /** The names whose port is already taken on this machine. */
  async busy() {
    const checks = await Promise.all([...this.assigned].map(async ([name, port]) => [name, port, await portIsFree(port)]));
    return checks.filter(([, , free]) => !free).map(([name, port]) => `${port} (${name})`);
  }
}
