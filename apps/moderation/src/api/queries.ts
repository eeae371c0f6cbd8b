import { z } from 'zod';
import { APPEAL_STATUSES, categorySchema, idSchema, REPORT_STATUSES } from '@strangers/moderation';

/** Query strings of the listing calls: unknown values are a 400, never silently ignored. */
const limit = z.coerce.number().int().min(1).max(200).default(50);
const cursor = z.string().regex(/^[0-9a-z-]{1,40}$/, 'not a cursor').optional();

export const reportsQuerySchema = z.object({
  status: z.enum(REPORT_STATUSES).default('open'),
  category: categorySchema.optional(),
  cursor,
  limit,
}).strict();

export const appealsQuerySchema = z.object({ status: z.enum(APPEAL_STATUSES).default('open'), cursor, limit }).strict();

export const auditQuerySchema = z.object({
  cursor: z.string().regex(/^\d{1,15}-\d{1,10}$/, 'not a cursor').optional(),
  limit,
}).strict();

export const emptyQuerySchema = z.object({}).strict();

export function queryOf(url: URL): Record<string, string> {
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) query[name] = value;
  return query;
}

/** An id taken from the path; a malformed one is answered like an unknown one (404). */
export function parseId(raw: string | undefined): string | undefined {
  const parsed = idSchema.safeParse(raw);
  return parsed.success ? parsed.data : undefined;
}
