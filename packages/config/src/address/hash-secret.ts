import { z } from 'zod';
import { envField } from '../env.js';

/** Salts published in this repository (old default, placeholders): never a real secret. */
const PUBLIC_SALTS = new Set(['strangers-default-salt', 'change-me', 'changeme', 'replace-me', 'secret']);
const MIN_SALT_LENGTH = 16;
/** Used only with ALLOW_INSECURE_SALT: anyone can reverse hashes keyed with it. */
export const INSECURE_DEVELOPMENT_SALT = 'strangers-insecure-development-salt';

/**
 * Why `salt` is not a real secret, or undefined if it may be one. A hash keyed with a known
 * value is reversible by trying every IPv4 address, so services refuse to start with one.
 */
export function saltProblem(salt: string | undefined): string | undefined {
  if (salt === undefined) return 'required: a random secret, the same on every gateway and the moderation service (openssl rand -hex 32); ALLOW_INSECURE_SALT=true for local development';
  if (PUBLIC_SALTS.has(salt.toLowerCase())) return 'is a published placeholder, not a secret (openssl rand -hex 32)';
  if (salt.length < MIN_SALT_LENGTH) return `must be at least ${MIN_SALT_LENGTH} characters (openssl rand -hex 32)`;
  return undefined;
}

/** The address-hash settings every service that hashes client addresses takes (gateway, moderation). */
export const addressHashEnvSchema = z.object({
  /**
   * Key of the HMAC over client addresses: required, the same on every gateway and the
   * moderation service, unless ALLOW_INSECURE_SALT is set (local development only).
   */
  IP_HASH_SALT: z.string().optional(),
  /** Local development: start without a real IP_HASH_SALT (a fixed, public one is used). */
  ALLOW_INSECURE_SALT: envField.boolean(false),
});

/** A superRefine check for schemas extending addressHashEnvSchema: refuses a salt that is no secret. */
export function checkAddressHashSecret(env: z.output<typeof addressHashEnvSchema>, context: z.RefinementCtx): void {
  if (env.ALLOW_INSECURE_SALT) return;
  const problem = saltProblem(env.IP_HASH_SALT);
  if (problem) context.addIssue({ code: 'custom', path: ['IP_HASH_SALT'], message: problem });
}

/** The key to hash with, once checkAddressHashSecret passed. */
export function addressHashKey(env: z.output<typeof addressHashEnvSchema>): string {
  return env.IP_HASH_SALT ?? INSECURE_DEVELOPMENT_SALT;
}
