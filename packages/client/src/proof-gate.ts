import type { ClientFrame } from '@strangers/protocol';
import { StrangerClientError } from './errors.js';

/**
 * An ALTCHA challenge object as the server sent it (PROTOCOL.md §3), typed loosely so that
 * any ALTCHA v2 solver fits `solveProof`.
 */
export interface ProofChallenge {
  parameters: object;
  signature?: string;
}

/**
 * Works out the `proof` for a challenge: e.g. `solveProof` from this package (browsers,
 * WebCrypto; run it in a Web Worker on a page) or `solveProofNode` from `@strangers/client/node`. Must give up (reject) when `signal` aborts.
 */
export type ProofSolver = (challenge: ProofChallenge, options: { signal: AbortSignal }) => Promise<string>;

/** The frames a proof of work gates (PROTOCOL.md §3). */
export type GatedFrame = Extract<ClientFrame, { type: 'join' | 'next' }>;

/** How many times a frame refused with `proof_required` is sent again with a fresh proof. */
const MAX_PROOF_RETRIES = 2;

interface GateIo {
  isOpen(): boolean;
  write(frame: ClientFrame): void;
  onFailure(error: Error): void;
}

/**
 * The proof-of-work side of `join`/`next`: the challenge the server last asked a proof for
 * and, given a solver, that proof being worked out from the moment the challenge arrives (so
 * a `join` rarely waits). A proof is single-use: each is sent once. A frame refused with
 * `proof_required` is sent again once the fresh challenge that follows is solved.
 */
export class ProofGate {
  private challenge: ProofChallenge | undefined;
  private solving: Promise<string | undefined> | undefined;
  private controller: AbortController | undefined;
  /** The last frame sent (without its proof), to send again after a `proof_required`. */
  private lastSent: { frame: GatedFrame; retries: number } | undefined;
  private retryOnChallenge: { frame: GatedFrame; retries: number } | undefined;

  constructor(
    private readonly solver: ProofSolver | undefined,
    private readonly io: GateIo,
  ) {}

  /** A new challenge replaces the old one (whose proof the server would no longer take). */
  setChallenge(challenge: ProofChallenge): void {
    this.stopSolving();
    this.challenge = challenge;
    if (this.solver) {
      const controller = new AbortController();
      this.controller = controller;
      this.solving = this.solver(challenge, { signal: controller.signal }).then(
        (proof) => proof,
        (error: unknown) => {
          if (!controller.signal.aborted) this.io.onFailure(error instanceof Error ? error : new Error(String(error)));
          return undefined;
        },
      );
    }
    const retry = this.retryOnChallenge;
    this.retryOnChallenge = undefined;
    if (retry) this.send(retry.frame, retry.retries).catch(() => {});
  }

  /** Sends `frame` with the proof of the challenge due, waiting for the solver if need be. */
  async send(frame: GatedFrame, retries = 0): Promise<void> {
    let sent = frame;
    if (frame.proof === undefined && this.challenge !== undefined) {
      const solving = this.solving;
      this.challenge = undefined;
      this.solving = undefined;
      this.controller = undefined;
      const proof = await solving;
      if (proof !== undefined) sent = { ...frame, proof };
    }
    if (!this.io.isOpen()) throw new StrangerClientError('not_connected', `cannot send "${frame.type}": not connected`);
    this.lastSent = { frame, retries };
    this.io.write(sent);
  }

  /** The server moved the session on (`waiting`): the last frame was accepted. */
  accepted(): void {
    this.lastSent = undefined;
  }

  /** `proof_required` arrived; true when the gate sends the frame again (so it is not the app's error). */
  refused(): boolean {
    const last = this.lastSent;
    if (!this.solver || !last || last.frame.proof !== undefined || last.retries >= MAX_PROOF_RETRIES) return false;
    this.lastSent = undefined;
    this.retryOnChallenge = { frame: last.frame, retries: last.retries + 1 };
    return true;
  }

  /** Forget everything (a new session, or closed); stops a solve in progress. */
  clear(): void {
    this.stopSolving();
    this.lastSent = undefined;
    this.retryOnChallenge = undefined;
  }

  private stopSolving(): void {
    this.controller?.abort();
    this.controller = undefined;
    this.challenge = undefined;
    this.solving = undefined;
  }
}
