import { solveChallenge } from 'altcha-lib';
import { deriveKey as webCryptoDeriveKey } from 'altcha-lib/algorithms/web/sha';
import type { Challenge, DeriveKeyFunction } from 'altcha-lib/types';
import { encodeProof } from './proof-codec.js';

export interface SolveOptions {
  /** Give up (reject) when aborted, e.g. the connection closed or a newer challenge arrived. */
  signal?: AbortSignal;
  /** Give up after this long (default 60 s). */
  timeoutMs?: number;
  /** The key derivation; default WebCrypto (browsers, workers and Node alike). */
  deriveKey?: DeriveKeyFunction;
}

/**
 * Solves a challenge from `welcome.challenge` or a `challenge` frame and returns the `proof`
 * string for the next `join`/`next`. Browser-compatible: only WebCrypto, no Node modules
 * (`@strangers/safety/solver`). Run it in a Web Worker on a page: it keeps a core busy.
 */
export async function solveProof(challenge: Challenge, options: SolveOptions = {}): Promise<string> {
  const controller = new AbortController();
  const abort = () => controller.abort();
  if (options.signal?.aborted) throw new Error('proof of work aborted');
  options.signal?.addEventListener('abort', abort, { once: true });
  try {
    const solution = await solveChallenge({
      challenge,
      deriveKey: options.deriveKey ?? webCryptoDeriveKey,
      controller,
      timeout: options.timeoutMs ?? 60_000,
    });
    if (solution === null) throw new Error(options.signal?.aborted ? 'proof of work aborted' : 'proof of work timed out');
    return encodeProof(challenge, solution);
  } finally {
    options.signal?.removeEventListener('abort', abort);
  }
}

export { encodeProof } from './proof-codec.js';
export type { Challenge } from 'altcha-lib/types';
