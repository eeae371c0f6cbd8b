import type { Logger } from '@strangers/config';
import { readChatEvidence, recordReport, type Category, type EvidenceMessage } from '@strangers/moderation';
import { ownerGateway, type Redis } from '@strangers/redis';
import type { ChatLink } from '../chat/session.js';
import type { SessionStore } from '../chat/session-store.js';
import type { GatewayModerationSettings } from './settings.js';
import { moderationMetrics } from './moderation-metrics.js';

/** What the session machine hands over when its client reports the partner. */
export interface ReportArrival {
  reporter: { sid: string; ipHash: string };
  chat: ChatLink;
  category: Category;
  reason: string;
  at: number;
}

/** The session machine's hook (SessionMachineDeps.reports): called on `report`, before the chat ends. */
export interface ReportSink {
  record(report: ReportArrival): void;
}

/**
 * Turns a client's `report` into a stored report with evidence (packages/moderation). The
 * evidence is read from the server's own chat history, and the read is issued synchronously,
 * before the session machine issues `chat_end` (which deletes that history): both go on the
 * commands connection to the chat's slot, so Redis runs the read first. The reported
 * partner's address hash comes from its session record. A failure is logged and counted; the
 * report still ends the chat.
 */
export class ReportRecorder implements ReportSink {
  constructor(
    private readonly redis: Redis,
    private readonly sessions: Pick<SessionStore, 'read'>,
    private readonly gatewayId: string,
    private readonly settings: GatewayModerationSettings,
    private readonly logger: Logger,
  ) {}

  record(report: ReportArrival): void {
    // Not awaited before returning: the XREVRANGE is queued now, ahead of chat_end.
    const evidence = readChatEvidence(this.redis, report.chat.id, report.reporter.sid, this.settings.evidence.maxMessages);
    this.store(report, evidence).then(
      () => moderationMetrics.reports.inc({ outcome: 'recorded' }),
      (error: Error) => {
        moderationMetrics.reports.inc({ outcome: 'failed' });
        this.logger.warn({ err: error.message, chat: report.chat.id }, 'report not recorded');
      },
    );
  }

  private async store(report: ReportArrival, evidence: Promise<EvidenceMessage[]>): Promise<void> {
    const { chat } = report;
    const [messages, partner] = await Promise.all([evidence, this.sessions.read(chat.partner)]);
    if (!partner) throw new Error('the reported session has no record any more');
    const recorded = await recordReport(
      this.redis,
      {
        chatId: chat.id,
        reporter: { sid: report.reporter.sid, ipHash: report.reporter.ipHash, gateway: this.gatewayId },
        reported: { sid: chat.partner, ipHash: partner.ipHash, gateway: partner.owner ? ownerGateway(partner.owner) : chat.partnerGateway },
        category: report.category,
        reason: report.reason,
        at: report.at,
        messages,
      },
      this.settings,
    );
    this.logger.info({ report: recorded.id, category: report.category, kept: recorded.kept, omitted: recorded.omitted }, 'report recorded');
  }
}
