/**
 * The indexes of one group of the queue (sessions of one media kind, age group and flag,
 * which only ever meet each other): whom a joiner may take is read from a few short lists
 * instead of a scan of the whole queue.
 *
 * Each list is kept oldest first. A session enters a list when it joins, or later when a
 * preference wait of its ends (it becomes "open"); since every session waits the same time,
 * sessions entering a list for the same reason do so in queue order. So a list is a few
 * lanes, one per reason, each in queue order by construction, and the oldest member that
 * passes a test is the oldest passing member of each lane's first.
 */

/** What the index needs of a queued session. */
export interface Ranked {
  /** Position in the queue: smaller waited longer. */
  order: number;
}

/** Why a session entered a list: lanes of a list, each in queue order. */
export const Lane = { joined: 0, interestsOpened: 1, languageOpened: 2 } as const;
export type Lane = (typeof Lane)[keyof typeof Lane];

class Lanes<T extends Ranked> {
  readonly lanes: [Set<T>, Set<T>, Set<T>] = [new Set(), new Set(), new Set()];

  get size(): number {
    return this.lanes[0].size + this.lanes[1].size + this.lanes[2].size;
  }

  /** Into the `joined` lane at its place in queue order (it was not the newest). */
  place(member: T): void {
    const lane = this.lanes[Lane.joined];
    const members = [...lane, member].sort((x, y) => x.order - y.order);
    lane.clear();
    for (const each of members) lane.add(each);
  }

  /** The oldest member passing `accept`, if older than `bound`. */
  oldest(accept: (member: T) => boolean, bound: T | undefined): T | undefined {
    let best = bound;
    for (const lane of this.lanes) {
      for (const member of lane) {
        if (best && member.order >= best.order) break;
        if (accept(member)) {
          best = member;
          break;
        }
      }
    }
    return best === bound ? undefined : best;
  }
}

/** Where a session is listed, so it can be taken out of every list it is in. */
interface Listing<T extends Ranked> {
  map: Map<string, Lanes<T>>;
  key: string;
}

/** Lists by key (a language, an interest, a language and an interest), with lanes. */
export class KeyedLists<T extends Ranked> {
  readonly map = new Map<string, Lanes<T>>();

  /**
   * Adds a member to a lane. With no lane, the member is older than some already listed (a
   * session moved here from another group: a flag or its lift): it goes into the `joined`
   * lane at its place in queue order, which rebuilds that lane. That is rare (the sessions of
   * one address), so its cost does not matter.
   */
  add(key: string, member: T, lane: Lane | undefined, listings: Listing<T>[]): void {
    let lanes = this.map.get(key);
    if (!lanes) this.map.set(key, (lanes = new Lanes()));
    if (lane !== undefined) lanes.lanes[lane].add(member);
    else lanes.place(member);
    listings.push({ map: this.map, key });
  }

  /** The oldest member under `key` passing `accept` and older than `bound`. */
  oldest(key: string, accept: (member: T) => boolean, bound: T | undefined): T | undefined {
    return this.map.get(key)?.oldest(accept, bound);
  }
}

/** Removes a member from every list it was added to; empty lists are dropped (keys are user input). */
export function unlist<T extends Ranked>(member: T, listings: Listing<T>[]): void {
  for (const { map, key } of listings) {
    const lanes = map.get(key);
    if (!lanes) continue;
    for (const lane of lanes.lanes) lane.delete(member);
    if (lanes.size === 0) map.delete(key);
  }
  listings.length = 0;
}

export type { Listing };

/** The lists of one group. */
export class GroupIndex<T extends Ranked> {
  /** "lang|interest" → sessions naming both. */
  readonly byLanguageInterest = new KeyedLists<T>();
  /** language → sessions naming it that are open on interests. */
  readonly byLanguageInterestsOpen = new KeyedLists<T>();
  /** interest → sessions naming it that are open on language. */
  readonly byInterestLanguageOpen = new KeyedLists<T>();
  /** Sessions open on both (under the one key ''). */
  readonly open = new KeyedLists<T>();
  /** Members of this group, for dropping empty groups. */
  size = 0;
}
