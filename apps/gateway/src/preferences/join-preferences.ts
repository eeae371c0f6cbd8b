import { ErrorCode, type MediaKind } from '@strangers/protocol';
import type { AgeGroup } from '@strangers/redis';
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
export interface MatchPreferences {
  lang: string[];
  age: AgeGroup;
  media: MediaKind;
}

export type PreferencesOutcome = { ok: true; preferences: MatchPreferences } | { ok: false; code: ErrorCode; message: string };

export function ageGroupOf(adult: boolean | undefined): AgeGroup {
  return adult === undefined ? 'unknown' : adult ? 'adult' : 'minor';
}

/**
 * A join's matching fields under the deployment's age policy: refused with `not_allowed`
 * (adults only, an age required, the provider said no) or `unavailable` (the provider did
 * not answer), else the preferences to queue with. The provider's verified age wins over the
 * declared one.
 */
export async function joinPreferences(
  policy: AgePolicy,
  session: string,
  frame: { lang?: string[] | undefined; adult?: boolean | undefined; media?: MediaKind | undefined },
): Promise<PreferencesOutcome> {
  let adult = frame.adult;
  if (adult === undefined && (policy.ageRequired || policy.adultsOnly)) {
    return { ok: false, code: ErrorCode.notAllowed, message: 'this deployment requires "adult" on join' };
  }
  if (policy.ageCheck) {
    const checked = await checkAge(policy.ageCheck, session, adult);
    if (checked.kind === 'unavailable') return { ok: false, code: ErrorCode.unavailable, message: 'the age check is unavailable; try again' };
    if (checked.kind === 'denied') return { ok: false, code: ErrorCode.notAllowed, message: 'the age check did not allow this join' };
    adult = checked.adult;
  }
  if (policy.adultsOnly && adult !== true) return { ok: false, code: ErrorCode.notAllowed, message: 'this deployment is for adults only' };
  return { ok: true, preferences: { lang: frame.lang ?? [], age: ageGroupOf(adult), media: frame.media ?? 'text' } };
}

/** True when a join needs no round trip (no provider): the common case stays synchronous. */
export function needsAsyncCheck(policy: AgePolicy): boolean {
  return policy.ageCheck !== undefined;
}
