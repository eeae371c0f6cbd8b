import type { Logger } from '@strangers/config';
import type { OwnerToken, Redis } from '@strangers/redis';
import { sweepDeadOwners } from '../cluster/dead-owners.js';
import type { RoomNames } from './room-names.js';

/**
 * Releases the room names of dead gateways (their liveness key lapsed; the one dead-owner
 * sweep of cluster/dead-owners.ts finds them), which announces
 * `<name> left the chat` for each. Every gateway runs it; it is idempotent because the
 * release script only acts while the dead owner still holds the name, so concurrent
 * sweepers publish each departure once.
 */
export class RoomSweeper {
  private running = false;

  constructor(
    private readonly redis: Redis,
    private readonly names: RoomNames,
    private readonly logger: Logger,
  ) {}

  /** One pass; returns how many names it released. Overlapping calls are skipped. */
  async sweep(): Promise<number> {
    if (this.running) return 0;
    this.running = true;
    try {
      let released = 0;
      await sweepDeadOwners(this.redis, await this.names.owners(), this.names.owner, async (owner) => {
        released += await this.releaseAll(owner);
      });
      return released;
    } catch (error) {
      this.logger.debug({ err: (error as Error).message }, 'room sweep failed');
      return 0;
    } finally {
      this.running = false;
    }
  }

  private async releaseAll(owner: OwnerToken): Promise<number> {
    const held = await this.names.namesOf(owner);
    if (held.length === 0) {
      await this.names.forgetOwner(owner);
      return 0;
    }
    const results = await Promise.all(held.map((name) => this.names.release(name, owner)));
    const released = results.filter(Boolean).length;
    this.logger.info({ owner, released }, 'released room names of a dead gateway');
    return released;
  }
}
