import type { KeptApart } from './kept-apart.js';

/** What the compatibility rule reads of a waiting session. */
export interface MatchProfile {
  sid: string;
  /** Its client address was reported often: it only meets other flagged sessions. */
  flagged: boolean;
}

/**
 * Whether two waiting sessions may be paired at all: the hard constraints, all here.
 * Interests are not a constraint: they decide whom a session is offered first and, until its
 * fallback wait is over, whom it may meet (PairingQueue.findPartner).
 *
 * A new dimension (language, age range, media…): a field on WaitingSession (and the join
 * event), its test here, and, if it splits the queue into groups that never meet, an index
 * in PairingQueue beside `byInterest` so findPartner only scans the joiner's group. The
 * model tests (test/pairing.test.ts, test/matching-state.test.ts) state the same rule.
 */
export function compatible(x: MatchProfile, y: MatchProfile, apart: KeptApart, now: number): boolean {
  return x.sid !== y.sid && x.flagged === y.flagged && !apart.has(x.sid, y.sid, now);
}
