import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { getFreePort, repoRoot, waitFor } from '@strangers/testkit';

/** A server process under test: its pid (for RSS and profiles), port, and a way to stop it. */
export interface ServerProcess {
  name: string;
  pid: number;
  port: number;
  /** process.memoryUsage() after a full GC, asked over IPC (see mem-probe.mjs). */
  memory(): Promise<NodeJS.MemoryUsage>;
  stop(): Promise<void>;
}

export const benchRoot = fileURLToPath(new URL('../', import.meta.url));
const memProbe = fileURLToPath(new URL('./mem-probe.mjs', import.meta.url));

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export interface LaunchOptions {
  name: string;
  /** Script to run, relative to the repo root (`.ts` files run through tsx). */
  script: string;
  env: Record<string, string>;
  /** HTTP path that answers 200 once the process is ready; otherwise the TCP port is probed. */
  readyPath?: string;
  /** The port the process listens on (we choose it, so no log line is needed). */
  port: number;
  /** Extra node flags, e.g. `--cpu-prof`. */
  nodeArgs?: string[];
}

/**
 * Runs a server as its own process with an IPC channel (for memory probes) and waits until
 * it answers on its port. Output goes to our stderr only when BENCH_LOGS=1.
 */
export async function launch(options: LaunchOptions): Promise<ServerProcess> {
  const script = `${repoRoot}${options.script}`;
  const tsx = script.endsWith('.ts') ? ['--conditions=development', '--import', 'tsx'] : [];
  const child = spawn(process.execPath, ['--expose-gc', '--import', memProbe, ...tsx, ...(options.nodeArgs ?? []), script], {
    cwd: repoRoot,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', process.env.BENCH_LOGS === '1' ? 'inherit' : 'ignore', 'inherit', 'ipc'],
  });
  running.add(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('exit', () => running.delete(child));
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`${options.name} exited with ${child.exitCode}`);
      try {
        const response = await fetch(`http://127.0.0.1:${options.port}${options.readyPath ?? '/'}`);
        await response.arrayBuffer();
        return options.readyPath ? response.ok : true;
      } catch {
        return false;
      }
    },
    { timeoutMs: 30_000, intervalMs: 50, what: `${options.name} on port ${options.port}` },
  );
  return {
    name: options.name,
    pid: child.pid!,
    port: options.port,
    memory() {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${options.name}: no memory reply`)), 10_000);
        child.once('message', (message: NodeJS.MemoryUsage) => {
          clearTimeout(timer);
          resolve(message);
        });
        child.send('memory');
      });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 8000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export { getFreePort };
