import type { Logger } from 'pino';
import { ConfigError } from '../env.js';
import { createLogger, type LoggerSettings } from '../logger.js';

/** What a started service hands back to the runner: how to stop it. */
export interface RunningService {
  /** Drains and releases everything; the runner bounds it with the service's stop timeout. */
  stop(): Promise<void>;
}

export interface ServiceDefinition<Config> {
  /** Service name: the logger's `name` and the prefix of every line printed to stderr. */
  name: string;
  /** Reads and validates the environment; a ConfigError is printed as one line (exit 2). */
  loadConfig: () => Config;
  /** The logger's level and the fields put on every line. */
  logger: (config: Config) => Omit<LoggerSettings, 'name'>;
  start: (config: Config, logger: Logger) => Promise<RunningService>;
  /** Longest the whole stop may take before the process exits anyway (code 1). */
  stopTimeoutMs: number;
  /** Logged when a signal starts the stop (default `stopping`). */
  stoppingMessage?: string;
}

/** Exit codes of a service process. */
export const EXIT = { ok: 0, failed: 1, config: 2 } as const;

/**
 * One line for a startup failure a person can fix without a stack trace: a bad environment or
 * a port someone else holds. Undefined for anything else (a bug: its stack is logged).
 */
export function describeStartupError(error: unknown): string | undefined {
  if (error instanceof ConfigError) return `invalid configuration: ${error.problems.join('; ')}`;
  const { code, address, port } = (error ?? {}) as { code?: unknown; address?: unknown; port?: unknown };
  if (code === 'EADDRINUSE') return `cannot listen on ${String(address)}:${String(port)}: the port is already in use`;
  if (code === 'EADDRNOTAVAIL') return `cannot listen on ${String(address)}:${String(port)}: no such local address`;
  if (code === 'EACCES' && port !== undefined) return `cannot listen on ${String(address)}:${String(port)}: permission denied`;
  return undefined;
}

function fail(name: string, line: string, code: number): never {
  process.stderr.write(`${name}: ${line}\n`);
  process.exit(code);
}

/** Resolves with the stop's outcome, or rejects once `ms` have passed. */
function withTimeout(stopping: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`stop took longer than ${ms} ms`)), ms);
  });
  return Promise.race([stopping, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Runs a service process: config → logger → start → on SIGTERM/SIGINT a stop bounded by
 * `stopTimeoutMs` → exit (0 clean, 1 failed or timed out, 2 bad config). Both apps' main.ts
 * is this call, so signals, drain and exit codes behave the same in each.
 */
export function runService<Config>(definition: ServiceDefinition<Config>): void {
  const { name } = definition;
  let config: Config;
  try {
    config = definition.loadConfig();
  } catch (error) {
    fail(name, describeStartupError(error) ?? `cannot load the configuration: ${(error as Error).message}`, error instanceof ConfigError ? EXIT.config : EXIT.failed);
  }
  const logger = createLogger({ name, ...definition.logger(config) });
  const started = definition.start(config, logger);
  // Signals are handled from the start: one that comes while starting stops the service as
  // soon as it is up (or exits once the stop timeout has passed, if the start hangs).
  stopOnSignal(definition, logger, started);
  started.catch((error: unknown) => {
    const known = describeStartupError(error);
    if (!known) logger.fatal({ err: error }, 'failed to start');
    fail(name, known ?? `failed to start: ${(error as Error)?.message ?? String(error)}`, error instanceof ConfigError ? EXIT.config : EXIT.failed);
  });
}

function stopOnSignal<Config>(definition: ServiceDefinition<Config>, logger: Logger, started: Promise<RunningService>): void {
  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return; // a second signal changes nothing: the stop timeout bounds the wait
    stopping = true;
    logger.info({ signal }, definition.stoppingMessage ?? 'stopping');
    withTimeout(
      started.then((service) => service.stop()),
      definition.stopTimeoutMs,
    ).then(
      () => {
        logger.info(`${definition.name} stopped`);
        process.exit(EXIT.ok);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'unclean stop');
        process.exit(EXIT.failed);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}
