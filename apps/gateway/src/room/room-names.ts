import { foldRoomName } from './name-fold.js';
import { keys, RoomClaimReply, RoomReleaseReply, type OwnerToken, type Redis } from '@strangers/redis';

/** PROTOCOL.md §2: `{user}` is 1–32 chars of `[A-Za-z0-9_.-]`. */
const ROOM_NAME = /^[A-Za-z0-9_.-]{1,32}$/;
const ROOM_PATH_PREFIX = '/chat/';

/** The name in a `/chat/{user}` path, or undefined when the path is not a valid room path. */
export function roomNameFromPath(path: string): string | undefined {
  if (!path.startsWith(ROOM_PATH_PREFIX)) return undefined;
  const name = path.slice(ROOM_PATH_PREFIX.length);
  return ROOM_NAME.test(name) ? name : undefined;
}

/**
 * Names are unique by their folded form (name-fold.ts): `aIice` is taken while `alice` is here.
 * `claimed`: the name is ours now and the join is announced (`eventId` orders it in the room
 * stream); `held`: this owner already holds it; `taken`: another owner holds it.
 */
export type ClaimResult = { status: 'claimed'; eventId: string } | { status: 'held' } | { status: 'taken' };

/**
 * The room's names in Redis: `chat-users` plus who owns each name, so a dead gateway's names
 * can be found and released. Every change goes through one script, atomic across gateways;
 * every Redis command of the room's names is here.
 */
export class RoomNames {
  constructor(
    private readonly redis: Redis,
    /** This boot's owner token: a restarted gateway is a new owner, its old names are swept. */
    readonly owner: OwnerToken,
    private readonly eventsMaxLength: number,
  ) {}

  async claim(name: string): Promise<ClaimResult> {
    const [status, detail] = await this.redis.roomClaim(...this.keysOf(this.owner), name, this.owner, this.eventsMaxLength, foldRoomName(name));
    if (status === RoomClaimReply.claimed) return { status: 'claimed', eventId: String(detail) };
    return status === RoomClaimReply.held ? { status: 'held' } : { status: 'taken' };
  }

  /** Releases `name` if `owner` still holds it (announcing the departure); true if it did. */
  async release(name: string, owner: OwnerToken = this.owner): Promise<boolean> {
    const [status] = await this.redis.roomRelease(...this.keysOf(owner), name, owner, this.eventsMaxLength, foldRoomName(name));
    return status === RoomReleaseReply.released;
  }

  /** The owners holding at least one name (what the sweeper checks for liveness). */
  async owners(): Promise<OwnerToken[]> {
    return this.redis.smembers(keys.roomOwnerSet);
  }

  /** The names `owner` holds. */
  async namesOf(owner: OwnerToken): Promise<string[]> {
    return this.redis.smembers(keys.roomOwnerNames(owner));
  }

  /** `owner` holds no names any more: unlist it. */
  async forgetOwner(owner: OwnerToken): Promise<void> {
    await this.redis.srem(keys.roomOwnerSet, owner);
  }

  async list(): Promise<string[]> {
    return (await this.redis.smembers(keys.roomUsers)).sort();
  }

  private keysOf(owner: OwnerToken): [string, string, string, string, string] {
    return [keys.roomUsers, keys.roomOwners, keys.roomOwnerNames(owner), keys.roomOwnerSet, keys.roomEvents];
  }
}
