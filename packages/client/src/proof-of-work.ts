import { solveProof as solveWithWebCrypto } from '@strangers/safety/solver';
import type { ProofChallenge, ProofSolver } from './proof-gate.js';

/**
 * Solves a proof-of-work challenge (from `welcome` or a `challenge` frame, PROTOCOL.md §3)
 * and returns the `proof` string for the next `join`/`next`; rejects when `signal` aborts.
 * Pass it as the client's `solveProof` option: `solveProof` (WebCrypto: browsers, workers,
 * Node) or, in Node, `solveProofNode` from `@strangers/client/node` (node:crypto, several
 * times faster there); or your own, e.g. one that runs `solveProof` in a Web Worker.
 */
export type ChallengeSolver = ProofSolver;

export interface SolveProofOptions {
  signal?: AbortSignal;
  /** Give up after this long (default 60 s). */
  timeoutMs?: number;
}

/** The WebCrypto solver (altcha-lib v2); keeps a core busy while it runs: on a page, prefer a Web Worker. */
export function solveProof(challenge: ProofChallenge, options: SolveProofOptions = {}): Promise<string> {
  return solveWithWebCrypto(challenge as never, options);
}
