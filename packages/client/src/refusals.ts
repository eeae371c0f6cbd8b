import { CloseCode } from '@strangers/protocol';
import { StrangerClientError, type ClientErrorCode } from './errors.js';
import type { StopCause } from './types.js';

/** A refusal as the rejected promise every SDK method returns instead of throwing. */
export function refused(code: ClientErrorCode, message: string): Promise<never> {
  return Promise.reject(new StrangerClientError(code, message));
}

/** Why a "stop" close code ended the session. */
export function stopCause(code: number): StopCause {
  if (code === CloseCode.sessionTakenOver) return 'taken_over';
  if (code === CloseCode.banned) return 'banned';
  return 'refused';
}
