import { deriveKey as nodeDeriveKey } from 'altcha-lib/algorithms/sha';
import type { Challenge } from 'altcha-lib/types';
import { solveProof, type SolveOptions } from './solver.js';

/**
 * `solveProof` with node:crypto's SHA-256, for Node clients (the SDK in Node, tests, load
 * generators): Node's WebCrypto digest is a thread-pool round trip per attempt, ≈ 7× slower
 * (bench/pow.ts). `@strangers/safety/solver/node`.
 */
export function solveProofNode(challenge: Challenge, options: Omit<SolveOptions, 'deriveKey'> = {}): Promise<string> {
  return solveProof(challenge, { ...options, deriveKey: nodeDeriveKey });
}
