import type { ClientKind } from './systems.js';

/** Commands the coordinator sends a loader process, one at a time. */
export type LoaderCommand =
  | { op: 'pairs'; kind: ClientKind; urlA: string; urlB: string; pairs: number[] }
  | { op: 'relay'; rate: number; warmupMs: number; durationMs: number; drainMs: number }
  | { op: 'pool'; urls: string[]; count: number }
  | { op: 'burst'; timeoutMs: number }
  | { op: 'join-rate'; rate: number; warmupMs: number; durationMs: number }
  | { op: 'idle'; url: string; count: number; product: boolean }
  | { op: 'close' };

export interface RelayResult {
  /** HDR histogram of latencies in µs, compressed base64. */
  hist: string;
  sent: number;
  received: number;
  lost: number;
}

export type LoaderReply =
  | { op: 'ok' }
  | { op: 'error'; message: string }
  | { op: 'relay'; result: RelayResult }
  | { op: 'burst'; paired: number; firstSend: number; lastPaired: number }
  | { op: 'join-rate'; later: string; all: string; joins: number; unpaired: number };
