import { z } from 'zod';

/** PROTOCOL.md §1 `report.category`. */
export const CATEGORIES = ['spam', 'harassment', 'sexual', 'minor_safety', 'hate', 'self_harm', 'violence', 'other'] as const;
export const categorySchema = z.enum(CATEGORIES);
export type Category = z.infer<typeof categorySchema>;

export const REPORT_STATUSES = ['open', 'actioned', 'dismissed'] as const;
export const reportStatusSchema = z.enum(REPORT_STATUSES);
export type ReportStatus = z.infer<typeof reportStatusSchema>;

export const APPEAL_STATUSES = ['open', 'upheld', 'lifted'] as const;
export const appealStatusSchema = z.enum(APPEAL_STATUSES);
export type AppealStatus = z.infer<typeof appealStatusSchema>;

/**
 * The grounds a moderator picks from for a ban or shadow ban, code → the sentence the banned
 * user is shown first in the statement of reasons (then the moderator's own `reason`, if any).
 */
export const BAN_GROUNDS = {
  spam: 'Spam or advertising',
  harassment: 'Harassment or bullying',
  sexual_content: 'Unwanted sexual content',
  minor_safety: 'Endangering the safety of minors',
  hate: 'Hate speech',
  violence: 'Threats or violent content',
  self_harm: 'Encouraging self-harm',
  illegal_content: 'Illegal content',
  ban_evasion: 'Evading an earlier ban',
  other: 'Breaking the rules of this service',
} as const;
export type BanGround = keyof typeof BAN_GROUNDS;
export const banGroundSchema = z.enum(Object.keys(BAN_GROUNDS) as [BanGround, ...BanGround[]]);

/** Limits on what moderators and appellants may write. */
export const TEXT_LIMITS = { moderatorReason: 500, appeal: 2000, reportReason: 200 } as const;

/** Time-ordered ids (ids.ts): 9 base36 chars of the creation time, then 16 hex chars. */
export const idSchema = z.string().regex(/^[0-9a-z]{9}[0-9a-f]{16}$/, 'not an id');

/** Keyed hash of an address (for IPv6 its /64) as the gateway computes it. */
export const addressHashSchema = z.string().regex(/^[A-Za-z0-9_-]{8,128}$/, 'not an address hash');

export const partySchema = z.object({
  sid: z.string().min(1).max(128),
  ipHash: addressHashSchema,
  gateway: z.string().min(1).max(64),
});
export type Party = z.infer<typeof partySchema>;

export const evidenceMessageSchema = z.object({
  seq: z.number().int().nonnegative(),
  ts: z.number().int().nonnegative(),
  from: z.enum(['reporter', 'reported']),
  text: z.string().max(20_000),
});
export type EvidenceMessage = z.infer<typeof evidenceMessageSchema>;

/** What a gateway hands to `recordReport`: the snapshot of a chat, from the server's own history. */
export const reportInputSchema = z.object({
  chatId: z.string().min(1).max(128),
  reporter: partySchema,
  reported: partySchema,
  category: categorySchema.default('other'),
  reason: z.string().max(TEXT_LIMITS.reportReason).default(''),
  at: z.number().int().positive(),
  messages: z.array(evidenceMessageSchema).max(100_000),
});
export type ReportInput = z.input<typeof reportInputSchema>;

export const evidenceSchema = z.object({
  messages: z.array(evidenceMessageSchema),
  /** Messages left out because of the message count or byte cap (the oldest go first). */
  omitted: z.number().int().nonnegative(),
});
export type Evidence = z.infer<typeof evidenceSchema>;

/** The immutable part of a stored report. */
export const reportRecordSchema = z.object({
  id: idSchema,
  chatId: z.string(),
  category: categorySchema,
  reason: z.string(),
  createdAt: z.number(),
  expiresAt: z.number(),
  reporter: partySchema,
  reported: partySchema,
});
export type ReportRecord = z.infer<typeof reportRecordSchema>;

export const ACTIONS = ['dismiss', 'ban', 'shadowban'] as const;
export type ActionKind = (typeof ACTIONS)[number];

/** What was decided on a report (stored with it once, by the action script). */
export const reportActionSchema = z.object({
  action: z.enum(ACTIONS),
  by: z.string(),
  at: z.number(),
  ground: banGroundSchema.optional(),
  /** The moderator's free text. */
  reason: z.string(),
  ban: idSchema.optional(),
});
export type ReportAction = z.infer<typeof reportActionSchema>;

export const BAN_KINDS = ['ban', 'shadowban'] as const;
export type BanKind = (typeof BAN_KINDS)[number];

/** The immutable part of a ban; also what a `add` event on the ban stream carries. */
export const banRecordSchema = z.object({
  id: idSchema,
  kind: z.enum(BAN_KINDS),
  ipHash: addressHashSchema,
  ground: banGroundSchema,
  /** The moderator's free text, shown to the user after the ground (may be empty). */
  reason: z.string(),
  /** ms; absent: permanent. */
  until: z.number().optional(),
  createdAt: z.number(),
  by: z.string(),
  report: idSchema.optional(),
  /** The public appeal link (moderation service's PUBLIC_URL + /appeal/<id>). */
  appeal: z.string(),
});
export type BanRecord = z.infer<typeof banRecordSchema>;

export const appealRecordSchema = z.object({
  id: idSchema,
  ban: idSchema,
  text: z.string(),
  createdAt: z.number(),
});
export type AppealRecord = z.infer<typeof appealRecordSchema>;

export const appealDecisionSchema = z.object({
  decision: z.enum(['uphold', 'lift']),
  by: z.string(),
  at: z.number(),
  reason: z.string(),
});
export type AppealDecision = z.infer<typeof appealDecisionSchema>;

/** One audit log entry: never evidence text, only who did what to which id and why. */
export const auditEntrySchema = z.object({
  at: z.number(),
  by: z.string(),
  action: z.enum(['dismiss', 'ban', 'shadowban', 'lift', 'appeal', 'appeal_uphold', 'appeal_lift', 'purge']),
  target: z.string(),
  /** The ground from the list, for a ban or shadow ban. */
  ground: z.string().optional(),
  /** The moderator's free text: why. */
  reason: z.string().optional(),
  detail: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
});
export type AuditEntry = z.infer<typeof auditEntrySchema>;
