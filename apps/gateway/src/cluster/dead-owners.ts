import type { OwnerToken, Redis } from '@strangers/redis';
import { isOwnerAlive } from './liveness.js';

/**
 * The one dead-owner sweep: of the owner tokens a holder lists (the boots holding `/ws`
 * sessions, or room names), hands each whose boot stopped refreshing its liveness key to
 * `release`, one after another. Never our own boot. Every gateway runs it on every liveness
 * tick; `release` must be idempotent across gateways (compare-and-set on the owner).
 */
export async function sweepDeadOwners(
  redis: Redis,
  owners: readonly OwnerToken[],
  self: OwnerToken,
  release: (owner: OwnerToken) => Promise<void>,
): Promise<void> {
  for (const owner of owners) {
    if (owner === self || (await isOwnerAlive(redis, owner))) continue;
    await release(owner);
  }
}
