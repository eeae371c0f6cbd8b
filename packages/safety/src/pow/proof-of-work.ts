import { createHmac } from 'node:crypto';
import { createChallenge, randomInt, verifySolution } from 'altcha-lib';
import { deriveKey } from 'altcha-lib/algorithms/sha';
import type { Challenge } from 'altcha-lib/types';
import type { Cluster, Redis } from 'ioredis';
import { z } from 'zod';
import type { SafetyMetrics } from '../metrics.js';
import { decodeProofJson, type ProofPayload } from './proof-codec.js';

/** Longest `proof` string looked at; a real one is ≈ 700 characters. */
export const maxProofLength = 4096;

const hex = z.string().regex(/^[0-9a-f]+$/);
const proofSchema = z.object({
  challenge: z.object({
    parameters: z.looseObject({
      algorithm: z.string(),
      nonce: hex,
      salt: hex,
      cost: z.number(),
      keyLength: z.number(),
      keyPrefix: hex,
      keySignature: hex.optional(),
      expiresAt: z.number().optional(),
      data: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
    }),
    signature: hex,
  }),
  solution: z.object({ counter: z.number().int().nonnegative(), derivedKey: hex, time: z.number().optional() }),
});

export type ProofRefusal = 'missing' | 'malformed' | 'invalid' | 'expired' | 'too_easy' | 'reused';
export type ProofResult = { ok: true; difficulty: number } | { ok: false; reason: ProofRefusal };

export interface ProofOfWorkOptions {
  /** Signs challenges (POW_HMAC_KEY); the same on every gateway, so any of them verifies. */
  hmacKey: string;
  /** How long a challenge stays solvable and its proof usable. */
  expiresMs: number;
  /** Records used proofs (`SET … NX PX`): a single server or a cluster. */
  redis: Redis | Cluster;
  /** Prefix of the used-proof keys (default `pow:used:`). */
  keyPrefix?: string;
  /** The clock (ms); tests move it. */
  now?: () => number;
  /** Counts each verification by result. */
  metrics?: Pick<SafetyMetrics, 'powVerifications'>;
}

/**
 * ALTCHA v2 challenges in altcha-lib's deterministic mode: the server picks a secret counter
 * in [1, difficulty], derives SHA-256(salt ‖ nonce ‖ counter) and publishes half of that key
 * as `keyPrefix`; the client counts up from 0 until its key has that prefix, so it tries
 * `counter` hashes (≈ difficulty / 2 on average) — the v1 "maxnumber" idea. The derived key
 * is also HMAC-signed (`keySignature`), so verifying costs two HMACs and no hashing loop.
 * `data.d` carries the difficulty, covered by the signature, so a harder challenge can be required.
 */
export class ProofOfWork {
  private readonly keySignatureSecret: string;
  private readonly keyPrefix: string;
  private readonly now: () => number;

  constructor(private readonly options: ProofOfWorkOptions) {
    // A second secret for the key signature, derived so deployments configure one key only.
    this.keySignatureSecret = createHmac('sha256', options.hmacKey).update('altcha key signature').digest('hex');
    this.keyPrefix = options.keyPrefix ?? 'pow:used:';
    this.now = options.now ?? Date.now;
  }

  /** A fresh challenge of `difficulty`, for `welcome.challenge` or a `challenge` frame. */
  async createChallenge(difficulty: number): Promise<Challenge> {
    return createChallenge({
      algorithm: 'SHA-256',
      cost: 1,
      counter: randomInt(difficulty, 1),
      deriveKey,
      data: { d: difficulty },
      expiresAt: Math.floor((this.now() + this.options.expiresMs) / 1000),
      hmacSignatureSecret: this.options.hmacKey,
      hmacKeySignatureSecret: this.keySignatureSecret,
    });
  }

  /**
   * Checks a `proof` string and, when good, uses it up. Refused: missing, not base64 JSON of
   * the right shape (`malformed`), not ours or not solved (`invalid`), past its `expiresAt`
   * (`expired`), easier than `minDifficulty` (`too_easy`), or seen before (`reused`).
   */
  async verify(proof: string | undefined, options: { minDifficulty?: number } = {}): Promise<ProofResult> {
    const result = await this.check(proof, options.minDifficulty ?? 0);
    this.options.metrics?.powVerifications.inc({ result: result.ok ? 'ok' : result.reason });
    return result;
  }

  private async check(proof: string | undefined, minDifficulty: number): Promise<ProofResult> {
    if (proof === undefined || proof === '') return { ok: false, reason: 'missing' };
    if (proof.length > maxProofLength) return { ok: false, reason: 'malformed' };
    const raw = decodeProofJson(proof);
    if (!proofSchema.safeParse(raw).success) return { ok: false, reason: 'malformed' };
    // The object as sent, not zod's copy: the signature covers its exact parameters.
    const { challenge, solution } = raw as ProofPayload;
    const expiresAtMs = (challenge.parameters.expiresAt ?? 0) * 1000;
    if (expiresAtMs <= this.now()) return { ok: false, reason: 'expired' };
    const result = await verifySolution({
      challenge,
      solution,
      deriveKey,
      hmacSignatureSecret: this.options.hmacKey,
      hmacKeySignatureSecret: this.keySignatureSecret,
    });
    if (result.expired) return { ok: false, reason: 'expired' };
    if (!result.verified) return { ok: false, reason: 'invalid' };
    const difficulty = challenge.parameters.data?.d;
    if (typeof difficulty !== 'number' || difficulty < minDifficulty) return { ok: false, reason: 'too_easy' };
    // Single use, across every gateway: the first SET wins; kept until the challenge expires anyway.
    const ttlMs = Math.max(1000, expiresAtMs - this.now() + 1000);
    const first = await this.options.redis.set(`${this.keyPrefix}${challenge.signature}`, '1', 'PX', ttlMs, 'NX');
    if (first === null) return { ok: false, reason: 'reused' };
    return { ok: true, difficulty };
  }
}
