import { solveProofNode as solveWithNodeCrypto } from '@strangers/safety/solver/node';
import type { ProofChallenge } from './proof-gate.js';
import type { SolveProofOptions } from './proof-of-work.js';

/**
 * `@strangers/client/node`: the proof-of-work solver for Node (node:crypto's SHA-256; Node's
 * WebCrypto digest is several times slower per attempt). Pass it as the client's `solveProof` option.
 */
export function solveProofNode(challenge: ProofChallenge, options: SolveProofOptions = {}): Promise<string> {
  return solveWithNodeCrypto(challenge as never, options);
}
