import { solveProof as solveWithWebCrypto } from '@strangers/safety/solver';

/**
 * Solves a proof-of-work challenge (from `welcome` or a `challenge` frame, PROTOCOL.md §3)
 * and returns the `proof` string for the next `join`/`next`; rejects when `signal` aborts.
 * `solveProof` (WebCrypto: browsers, workers, Node) or, in Node, `solveProofNode` from
 * `@strangers/client/node` (node:crypto, several times faster there); or your own, e.g. one
 * that runs `solveProof` in a Web Worker.
 */
export type ChallengeSolver = (challenge: Record<string, unknown>, options: { signal: AbortSignal }) => Promise<string>;

export interface SolveProofOptions {
  signal?: AbortSignal;
  /** Give up after this long (default 60 s). */
  timeoutMs?: number;
}

/** The WebCrypto solver (altcha-lib v2); keeps a core busy while it runs: on a page, prefer a Web Worker. */
export function solveProof(challenge: Record<string, unknown>, options: SolveProofOptions = {}): Promise<string> {
  return solveWithWebCrypto(challenge as never, options);
}

/**
 * The SDK's part of the gate: each challenge the server sends starts a solve (replacing one
 * in progress); the next `join`/`next` waits for it and carries its proof, once.
 */
export class ProofKeeper {
  private current: { proof: Promise<string | undefined>; controller: AbortController } | undefined;

  constructor(
    private readonly solver: ChallengeSolver | undefined,
    private readonly onFailure: (error: Error) => void,
  ) {}

  challenge(challenge: Record<string, unknown>): void {
    if (this.solver === undefined) return;
    this.current?.controller.abort();
    const controller = new AbortController();
    const proof = this.solver(challenge, { signal: controller.signal }).catch((error: Error) => {
      if (!controller.signal.aborted) this.onFailure(error);
      return undefined;
    });
    this.current = { proof, controller };
  }

  /** The proof due for the next `join`/`next` (undefined: none); each is handed out once. */
  take(): Promise<string | undefined> | undefined {
    const current = this.current;
    this.current = undefined;
    return current?.proof;
  }

  reset(): void {
    this.current?.controller.abort();
    this.current = undefined;
  }
}
