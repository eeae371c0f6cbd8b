import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { LoaderCommand, LoaderReply } from './loader-protocol.js';

const entry = fileURLToPath(new URL('./loader.ts', import.meta.url));

/** One load-generating child process, driven by request/reply over IPC. */
export class Loader {
  private constructor(private readonly child: ChildProcess) {}

  /** The load process's pid, to count the CPU it uses (it shares the cores with the system under test). */
  get pid(): number {
    return this.child.pid!;
  }

  static start(): Loader {
    const child = fork(entry, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    return new Loader(child);
  }

  request<T extends LoaderReply['op']>(command: LoaderCommand, timeoutMs = 120_000): Promise<Extract<LoaderReply, { op: T }>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.child.off('message', onReply);
        reject(new Error(`loader ${this.child.pid}: no reply to ${command.op} within ${timeoutMs} ms`));
      }, timeoutMs);
      const onReply = (reply: LoaderReply) => {
        clearTimeout(timer);
        this.child.off('message', onReply);
        if (reply.op === 'error') reject(new Error(`loader ${this.child.pid}: ${reply.message}`));
        else resolve(reply as Extract<LoaderReply, { op: T }>);
      };
      this.child.on('message', onReply);
      this.child.send(command);
    });
  }

  stop(): void {
    if (this.child.connected) this.child.disconnect();
  }
}

export function startLoaders(count: number): Loader[] {
  return Array.from({ length: count }, () => Loader.start());
}
