import type { Redis } from '@strangers/redis';
import { moderationKeys as keys } from './keys.js';
import type { Page } from './paging.js';
import { auditEntrySchema, type AuditEntry } from './schemas.js';

/** The JSON an action script appends to the audit stream (validated first: nothing unplanned gets in). */
export function auditJson(entry: AuditEntry): string {
  return JSON.stringify(auditEntrySchema.parse(entry));
}

export async function appendAudit(redis: Redis, entry: AuditEntry): Promise<void> {
  await redis.xadd(keys.audit, '*', 'entry', auditJson(entry));
}

export type AuditRecord = AuditEntry & { id: string };

/** The audit log, newest first; `cursor` is the last entry id of the previous page. */
export async function listAudit(redis: Redis, query: { cursor?: string; limit: number }): Promise<Page<AuditRecord>> {
  const end = query.cursor ? `(${query.cursor}` : '+';
  const raw = (await redis.xrevrange(keys.audit, end, '-', 'COUNT', query.limit + 1)) as [string, string[]][];
  const items: AuditRecord[] = [];
  for (const [id, fields] of raw.slice(0, query.limit)) {
    const json = fields[fields.indexOf('entry') + 1];
    if (json) items.push({ id, ...auditEntrySchema.parse(JSON.parse(json)) });
  }
  const page: Page<AuditRecord> = { items };
  if (raw.length > query.limit) page.next = items[items.length - 1]?.id ?? raw[query.limit - 1]![0];
  return page;
}
