import type { Challenge, Solution } from 'altcha-lib/types';

/**
 * The `proof` field of `join`/`next` (PROTOCOL.md §3): base64 of the JSON
 * `{"challenge":…,"solution":…}`. That object is exactly altcha-lib's v2 `Payload`:
 * - `challenge`: the challenge object as the client received it (`{parameters, signature}`),
 *   unchanged: its `signature` is an HMAC over the canonical JSON of `parameters`.
 * - `solution`: what `solveChallenge` returned (`{counter, derivedKey, time?}`).
 * Browser-safe (no Buffer): used by the SDK and the web client too.
 */
export interface ProofPayload {
  challenge: Challenge;
  solution: Solution;
}

export function encodeProof(challenge: Challenge, solution: Solution): string {
  const json = JSON.stringify({ challenge, solution } satisfies ProofPayload);
  const bytes = new TextEncoder().encode(json);
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** The JSON inside a proof, or undefined when it is not base64 of JSON. Shape is checked by the verifier. */
export function decodeProofJson(proof: string): unknown {
  try {
    const binary = atob(proof);
    const bytes = Uint8Array.from(binary, (char) => char.charCodeAt(0));
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    return undefined;
  }
}
