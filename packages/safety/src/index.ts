export * from './config.js';
export * from './pow/proof-codec.js';
export * from './pow/proof-of-work.js';
export * from './pow/next-burst.js';
export * from './pow/gate.js';
export { solveProof, type SolveOptions } from './pow/solver.js';
export { solveProofNode } from './pow/solver-node.js';
