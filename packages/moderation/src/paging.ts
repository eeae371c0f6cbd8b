import type { Redis } from '@strangers/redis';

/** One page of a listing; `next` is the cursor of the following page, absent on the last. */
export interface Page<T> {
  items: T[];
  next?: string;
}

/**
 * A page of an id index (a sorted set whose members all score 0, so ZRANGE BYLEX orders
 * them by id = by creation time): the `limit` ids after `cursor`, loaded by `load`.
 */
export async function pageAfter<T>(
  redis: Redis,
  index: string,
  cursor: string | undefined,
  limit: number,
  load: (ids: string[]) => Promise<T[]>,
): Promise<Page<T>> {
  // One more than asked for tells whether another page follows.
  const ids = await redis.zrangebylex(index, cursor ? `(${cursor}` : '-', '+', 'LIMIT', 0, limit + 1);
  const pageIds = ids.slice(0, limit);
  const page: Page<T> = { items: await load(pageIds) };
  if (ids.length > limit) page.next = pageIds[pageIds.length - 1]!;
  return page;
}
