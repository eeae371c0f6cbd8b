/**
 * Runs the stack's processes and keeps them running: a service that exits on its own is
 * restarted after a delay that doubles on each quick crash (as compose's `restart:` policy
 * does), and every start, exit and restart is said with the process's PID. Only stopAll()
 * (Ctrl-C / SIGTERM) ends them for good.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

const FIRST_DELAY_MS = 250;
const MAX_DELAY_MS = 10_000;
/** A service that ran this long before it exited starts over at the first delay. */
const HEALTHY_RUN_MS = 10_000;
const STOP_TIMEOUT_MS = 15_000;

export class Supervisor {
  /** @param {{ cwd: string, env: NodeJS.ProcessEnv, say: (text: string) => void, prettify?: (line: string) => string }} options */
  constructor({ cwd, env, say, prettify }) {
    this.cwd = cwd;
    this.env = env;
    this.say = say;
    this.prettify = prettify;
    /** name → { spec, child, startedAt, crashes, timer } */
    this.services = new Map();
    this.stopping = false;
  }

  /**
   * Starts a service and keeps it running.
   * @param {{ name: string, command: string, args: string[], env?: Record<string, string>, input?: string, port?: number, onRestart?: (name: string) => void }} spec
   */
  start(spec) {
    const service = { spec, child: undefined, startedAt: 0, crashes: 0, timer: undefined };
    this.services.set(spec.name, service);
    this.spawn(service);
  }

  spawn(service) {
    const { name, command, args, env = {}, input, port } = service.spec;
    // Own process group: a terminal's Ctrl-C reaches only the launcher, which stops the
    // services in order (apps before the Redis they drain into).
    const child = spawn(command, args, {
      cwd: this.cwd,
      env: { ...this.env, ...env },
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      detached: true,
    });
    if (input !== undefined) child.stdin.end(input);
    service.child = child;
    service.startedAt = Date.now();
    this.say(`started ${name} (pid ${child.pid})${port ? ` on port ${port}` : ''}`);
    createInterface({ input: child.stdout }).on('line', (line) => {
      process.stdout.write(this.prettify && line.startsWith('{') ? this.prettify(line) : `[${name}] ${line}\n`);
    });
    createInterface({ input: child.stderr }).on('line', (line) => process.stderr.write(`[${name}] ${line}\n`));
    child.once('error', (error) => this.say(`${name} could not start: ${error.message}`));
    child.once('exit', (code, signal) => this.onExit(service, child, code, signal));
  }

  onExit(service, child, code, signal) {
    if (this.stopping || service.child !== child) return;
    service.child = undefined;
    const ranMs = Date.now() - service.startedAt;
    service.crashes = ranMs >= HEALTHY_RUN_MS ? 1 : service.crashes + 1;
    const delay = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** (service.crashes - 1));
    const { name } = service.spec;
    this.say(`${name} (pid ${child.pid}) exited (${signal ?? `code ${code}`}) after ${ranMs} ms; restarting it in ${delay} ms`);
    service.timer = setTimeout(() => {
      service.timer = undefined;
      if (this.stopping) return;
      this.spawn(service);
      service.spec.onRestart?.(name);
    }, delay);
  }

  /** The running process of each service. */
  pids() {
    return new Map([...this.services].filter(([, service]) => service.child).map(([name, service]) => [name, service.child.pid]));
  }

  /** Stops every service but those named in `last`, then those (each SIGTERM, SIGKILL after a timeout). */
  async stopAll(last = []) {
    this.stopping = true;
    for (const service of this.services.values()) clearTimeout(service.timer);
    const late = [...this.services.values()].filter((service) => last.includes(service.spec.name));
    const early = [...this.services.values()].filter((service) => !last.includes(service.spec.name));
    await Promise.all(early.map((service) => this.stopOne(service)));
    await Promise.all(late.map((service) => this.stopOne(service)));
  }

  stopOne(service) {
    const child = service.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.say(`${service.spec.name} (pid ${child.pid}) still running after ${STOP_TIMEOUT_MS} ms: killing it`);
        child.kill('SIGKILL');
      }, STOP_TIMEOUT_MS);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill('SIGTERM');
    });
  }

  /** Last resort when the launcher itself dies: leave no process behind. */
  killAll() {
    for (const service of this.services.values()) service.child?.kill('SIGKILL');
  }
}
