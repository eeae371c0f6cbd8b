import type { AgePolicy } from './join-preferences.js';
import type { IceServersFor } from './paired-frame.js';

/** The gateway's part of issue 20's matching: who may join, the rematch window, the ICE hook. */
export interface GatewayMatchingSettings {
  agePolicy: AgePolicy;
  /** How long after a chat ended by `next` or `left` either side may ask for a rematch. */
  rematchWindowMs: number;
  iceFor?: IceServersFor;
}
