import { deriveKey as nodeDeriveKey } from 'altcha-lib/algorithms/sha';
import type { Challenge } from 'altcha-lib/types';
import { solveProof, type SolveOptions } from './solver.js';

/** `solveProof` with node:crypto's SHA-256 (several times faster than WebCrypto's per call): for Node clients and bots' honest cousins, the tests. */
export function solveProofNode(challenge: Challenge, options: Omit<SolveOptions, 'deriveKey'> = {}): Promise<string> {
  return solveProof(challenge, { ...options, deriveKey: nodeDeriveKey });
}
