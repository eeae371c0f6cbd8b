import { solveProofNode as solveWithNodeCrypto } from '@strangers/safety/solver/node';
import type { SolveProofOptions } from './proof-of-work.js';

/**
 * `@strangers/client/node`: the proof-of-work solver for Node (node:crypto's SHA-256; Node's
 * WebCrypto digest is several times slower per attempt). Pass it as `solveChallenge`.
 */
export function solveProofNode(challenge: Record<string, unknown>, options: SolveProofOptions = {}): Promise<string> {
  return solveWithNodeCrypto(challenge as never, options);
}
