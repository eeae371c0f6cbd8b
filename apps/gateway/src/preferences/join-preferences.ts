import { ErrorCode, type MediaKind } from '@strangers/protocol';
import type { AgeGroup, SessionMatchRecord } from '@strangers/redis';
import { checkAge, type AgeCheckOptions } from './age-check.js';

/** A deployment's rules on who may join (GatewayConfig.matching). */
export interface AgePolicy {
  /** Only adults: `adult:false` (or no `adult`) is refused. */
  adultsOnly: boolean;
  /** A join must say `adult` (unknown ages are not queued). */
  ageRequired: boolean;
  /** Every join's age group is confirmed by this provider first. */
  ageCheck: AgeCheckOptions | undefined;
}

/** What a session is matched by, beyond its interests (carried by its join event). */
export type MatchPreferences = SessionMatchRecord;

export type PreferencesOutcome = { ok: true; preferences: MatchPreferences } | { ok: false; code: ErrorCode; message: string };

/** The matching fields of a join frame. */
export interface JoinMatchFields {
  lang?: string[] | undefined;
  adult?: boolean | undefined;
  media?: MediaKind | undefined;
}

export function ageGroupOf(adult: boolean | undefined): AgeGroup {
  return adult === undefined ? 'unknown' : adult ? 'adult' : 'minor';
}

/**
 * A join's matching fields under the deployment's age policy, without the provider: refused
 * with `not_allowed` (adults only, or an age required and not given), else the preferences.
 * Synchronous, so a deployment without a provider queues a join in the same tick.
 */
export function declaredPreferences(policy: AgePolicy, frame: JoinMatchFields): PreferencesOutcome {
  if (frame.adult === undefined && (policy.ageRequired || policy.adultsOnly)) {
    return { ok: false, code: ErrorCode.notAllowed, message: 'this deployment requires "adult" on join' };
  }
  if (policy.adultsOnly && frame.adult !== true) return { ok: false, code: ErrorCode.notAllowed, message: 'this deployment is for adults only' };
  return { ok: true, preferences: { lang: frame.lang ?? [], age: ageGroupOf(frame.adult), media: frame.media ?? 'text' } };
}

/**
 * The same, with the age-check provider asked first: `not_allowed` when it says no,
 * `unavailable` when it does not answer (fail-closed); its verified age wins over the
 * declared one, and the policy then applies to the verified age.
 */
export async function joinPreferences(policy: AgePolicy, session: string, frame: JoinMatchFields): Promise<PreferencesOutcome> {
  const declared = declaredPreferences(policy, frame);
  if (!declared.ok || !policy.ageCheck) return declared;
  const checked = await checkAge(policy.ageCheck, session, frame.adult);
  if (checked.kind === 'unavailable') return { ok: false, code: ErrorCode.unavailable, message: 'the age check is unavailable; try again' };
  if (checked.kind === 'denied') return { ok: false, code: ErrorCode.notAllowed, message: 'the age check did not allow this join' };
  return declaredPreferences(policy, { ...frame, adult: checked.adult });
}
