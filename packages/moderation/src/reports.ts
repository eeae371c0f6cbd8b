import type { Redis } from '@strangers/redis';
import { boundEvidence, defaultEvidenceLimits, type EvidenceLimits } from './evidence.js';
import { newId } from './ids.js';
import { moderationKeys as keys } from './keys.js';
import { pageAfter, type Page } from './paging.js';
import { defaultRetention, retentionEnd, type RetentionPolicy } from './retention.js';
import {
  evidenceSchema,
  reportActionSchema,
  reportInputSchema,
  reportRecordSchema,
  type Category,
  type Evidence,
  type ReportAction,
  type ReportInput,
  type ReportRecord,
  type ReportStatus,
  reportStatusSchema,
} from './schemas.js';

export interface RecordReportOptions {
  retention?: RetentionPolicy;
  evidence?: EvidenceLimits;
}

export interface RecordedReport {
  id: string;
  expiresAt: number;
  /** Messages kept as evidence, and those left out by the bounds. */
  kept: number;
  omitted: number;
}

/**
 * Stores a report with its evidence (bounded: the chat's newest messages within the count and
 * byte caps) and puts it in the open queue, in one MULTI on the `{mod}` slot. The report key
 * expires at the end of its retention (a safety net: the purge deletes it and its index
 * entries). Throws a ZodError for input that does not match `reportInputSchema`.
 */
export async function recordReport(redis: Redis, input: ReportInput, options: RecordReportOptions = {}): Promise<RecordedReport> {
  const report = reportInputSchema.parse(input);
  const evidence = boundEvidence(report.messages, options.evidence ?? defaultEvidenceLimits);
  const id = newId(report.at);
  const expiresAt = retentionEnd(options.retention ?? defaultRetention, report.category, report.at);
  const record: ReportRecord = {
    id,
    chatId: report.chatId,
    category: report.category,
    reason: report.reason,
    createdAt: report.at,
    expiresAt,
    reporter: report.reporter,
    reported: report.reported,
  };
  const key = keys.report(id);
  await redis
    .multi()
    .hset(key, 'record', JSON.stringify(record), 'evidence', JSON.stringify(evidence), 'status', 'open')
    .pexpireat(key, expiresAt)
    .zadd(keys.reportsByStatus('open'), 0, id)
    .zadd(keys.reportsByStatusCategory('open', report.category), 0, id)
    .zadd(keys.reportExpiry, expiresAt, id)
    .hincrby(keys.stats, `reports:${report.category}`, 1)
    .exec();
  return { id, expiresAt, kept: evidence.messages.length, omitted: evidence.omitted };
}

/** A report as listed in the queue. */
export interface ReportSummary {
  id: string;
  category: Category;
  reason: string;
  status: ReportStatus;
  createdAt: number;
  expiresAt: number;
  messages: number;
}

/** A report with its evidence and, once decided, the action taken. */
export interface Report extends ReportRecord {
  status: ReportStatus;
  action?: ReportAction;
  evidence: Evidence;
}

function parseReport(fields: Record<string, string>): Report | undefined {
  if (!fields.record || !fields.evidence) return undefined;
  const record = reportRecordSchema.parse(JSON.parse(fields.record));
  const report: Report = {
    ...record,
    status: reportStatusSchema.parse(fields.status),
    evidence: evidenceSchema.parse(JSON.parse(fields.evidence)),
  };
  if (fields.action) report.action = reportActionSchema.parse(JSON.parse(fields.action));
  return report;
}

/** One report with its evidence, or undefined when there is none (never was, or purged). */
export async function getReport(redis: Redis, id: string): Promise<Report | undefined> {
  return parseReport(await redis.hgetall(keys.report(id)));
}

export interface ListReportsQuery {
  status: ReportStatus;
  category?: Category;
  /** The last id of the previous page. */
  cursor?: string;
  limit: number;
}

/** The queue, oldest first, one page at a time. Reports gone since they were indexed are skipped. */
export async function listReports(redis: Redis, query: ListReportsQuery): Promise<Page<ReportSummary>> {
  const index = query.category ? keys.reportsByStatusCategory(query.status, query.category) : keys.reportsByStatus(query.status);
  return pageAfter(redis, index, query.cursor, query.limit, async (ids) => {
    const pipeline = redis.pipeline();
    for (const id of ids) pipeline.hmget(keys.report(id), 'record', 'status', 'evidence');
    const replies = (await pipeline.exec()) ?? [];
    const summaries: ReportSummary[] = [];
    for (const [error, value] of replies) {
      const [record, status, evidence] = (error ? [] : value) as (string | null)[];
      if (!record || !status || !evidence) continue;
      const parsed = reportRecordSchema.parse(JSON.parse(record));
      summaries.push({
        id: parsed.id,
        category: parsed.category,
        reason: parsed.reason,
        status: reportStatusSchema.parse(status),
        createdAt: parsed.createdAt,
        expiresAt: parsed.expiresAt,
        messages: evidenceSchema.parse(JSON.parse(evidence)).messages.length,
      });
    }
    return summaries;
  });
}
