export * from './client.js';
export * from './errors.js';
export * from './backoff.js';
export * from './emitter.js';
export * from './types.js';
export { CLOSE_ADVICE, closeAdvice, CloseCode, ErrorCode, LeftReason, ReportCategory } from '@strangers/protocol';
export type { CloseAdvice } from '@strangers/protocol';
export type { WebSocketConstructor, WebSocketLike } from './socket.js';
export type { ProofChallenge, ProofSolver } from './proof-gate.js';
