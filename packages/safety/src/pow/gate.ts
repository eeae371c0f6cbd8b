import type { Challenge } from 'altcha-lib/types';
import type { PowSettings } from '../config.js';
import type { SafetyMetrics } from '../metrics.js';
import type { BurstSource, NextBurstDetector } from './next-burst.js';
import type { ProofOfWork, ProofRefusal } from './proof-of-work.js';

/**
 * What the gate remembers of one `/ws` session: the difficulty its next `join`/`next` must
 * prove (0: none). A plain object the gateway keeps with the session (and may persist).
 */
export interface PowSessionState {
  required: number;
}

export type AdmitResult = { ok: true } | { ok: false; reason: ProofRefusal; challenge: Challenge };

export interface BurstChallenge {
  challenge: Challenge;
  source: BurstSource;
}

/**
 * The proof-of-work policy, by PROOF_OF_WORK:
 * - `off`: never asks.
 * - `on`: `welcome` carries a challenge of POW_DIFFICULTY and the first `join` needs its
 *   proof; after a burst of `next`, a `challenge` of POW_ADAPTIVE_DIFFICULTY is due before the next one.
 * - `adaptive`: nothing at `welcome` (an ordinary user never solves anything); only the burst challenge.
 * In `on` and `adaptive`, an abuse `challenge` action (`requireHarder`) asks the same harder proof.
 */
export class PowGate {
  constructor(
    private readonly settings: PowSettings,
    private readonly pow: ProofOfWork | undefined,
    private readonly bursts: NextBurstDetector | undefined,
    private readonly metrics?: Pick<SafetyMetrics, 'powChallenges'>,
  ) {
    if (settings.mode !== 'off' && (!pow || !bursts)) throw new Error(`PROOF_OF_WORK=${settings.mode} needs a ProofOfWork and a NextBurstDetector`);
  }

  get mode(): PowSettings['mode'] {
    return this.settings.mode;
  }

  /** A session's state at connect, and the challenge for its `welcome` (undefined: none). */
  async welcome(): Promise<{ state: PowSessionState; challenge: Challenge | undefined }> {
    if (this.settings.mode !== 'on') return { state: { required: 0 }, challenge: undefined };
    const challenge = await this.pow!.createChallenge(this.settings.difficulty);
    this.metrics?.powChallenges.inc({ reason: 'welcome' });
    return { state: { required: this.settings.difficulty }, challenge };
  }

  /**
   * Call on every `next` (after its proof, if one was due, was accepted). A burst makes the
   * session's following `join`/`next` need a harder proof: send the returned `challenge` frame.
   */
  async onNext(state: PowSessionState, session: string, address: string, now: number): Promise<BurstChallenge | undefined> {
    if (this.settings.mode === 'off') return undefined;
    const source = this.bursts!.record(session, address, now);
    if (source === undefined) return undefined;
    this.metrics?.powChallenges.inc({ reason: 'burst' });
    return { challenge: await this.harder(state), source };
  }

  /**
   * Ask this session for a fresh POW_ADAPTIVE_DIFFICULTY proof (an abuse `challenge` action):
   * send the returned challenge in a `challenge` frame. Works in `on` and `adaptive`.
   */
  async requireHarder(state: PowSessionState): Promise<Challenge> {
    if (this.settings.mode === 'off') throw new Error('PROOF_OF_WORK=off: no challenge to ask');
    this.metrics?.powChallenges.inc({ reason: 'abuse' });
    return this.harder(state);
  }

  private async harder(state: PowSessionState): Promise<Challenge> {
    const difficulty = this.settings.adaptiveDifficulty;
    state.required = Math.max(state.required, difficulty);
    return this.pow!.createChallenge(difficulty);
  }

  /**
   * Call on `join` and `next` with the frame's `proof`. Nothing due: ok without looking.
   * Otherwise the proof must be good and at least as hard as required; then nothing is due.
   * Refused → answer `error` `proof_required` (`proofRequiredMessage(reason)`), then a
   * `challenge` frame with the returned fresh challenge, and leave the session where it is.
   */
  async admit(state: PowSessionState, proof: string | undefined): Promise<AdmitResult> {
    if (this.settings.mode === 'off' || state.required === 0) return { ok: true };
    const result = await this.pow!.verify(proof, { minDifficulty: state.required });
    if (result.ok) {
      state.required = 0;
      return { ok: true };
    }
    this.metrics?.powChallenges.inc({ reason: 'refused' });
    return { ok: false, reason: result.reason, challenge: await this.pow!.createChallenge(state.required) };
  }

  /** The session ended for good. */
  forget(session: string): void {
    this.bursts?.forgetSession(session);
  }
}

/** The `error` `proof_required` message for each refusal, written for a human using wscat. */
export function proofRequiredMessage(reason: ProofRefusal): string {
  const how = 'this server requires a proof of work: solve the challenge from welcome or the latest challenge frame (altcha-lib v2 solveChallenge) and send "proof" on join/next, see PROTOCOL.md §3';
  switch (reason) {
    case 'missing':
      return `proof missing: ${how}`;
    case 'malformed':
      return `proof malformed (expected base64 of {"challenge":…,"solution":…}): ${how}`;
    case 'invalid':
      return `proof invalid: ${how}`;
    case 'expired':
      return `proof expired: solve the challenge frame that follows`;
    case 'too_easy':
      return `proof is for an easier challenge than required now: solve the challenge frame that follows`;
    case 'reused':
      return `proof already used (each challenge is good once): solve the challenge frame that follows`;
  }
}
