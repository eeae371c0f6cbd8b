import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

export interface LoggerSettings {
  /** Service name, e.g. `gateway`. */
  name: string;
  level: string;
  /** Fields put on every line (gateway id, matcher id…). */
  base?: Record<string, unknown>;
  /** Where to write; defaults to stdout. Tests hand in a stream to read what was logged. */
  destination?: NodeJS.WritableStream;
}

/**
 * One pino logger per process. Message text and raw client addresses must never be
 * passed to it; `redact` is a safety net for the field names we use for them.
 */
export function createLogger(settings: LoggerSettings): Logger {
  const options: LoggerOptions = {
    name: settings.name,
    level: settings.level,
    base: { pid: process.pid, ...settings.base },
    redact: { paths: ['text', '*.text', 'ip', '*.ip', 'resumeToken', '*.resumeToken'], censor: '[redacted]' },
  };
  return settings.destination ? pino(options, settings.destination as pino.DestinationStream) : pino(options);
}
