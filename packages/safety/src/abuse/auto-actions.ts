import type { Cluster, Redis } from 'ioredis';
import { z } from 'zod';
import { abuseSignals } from '../config.js';
import type { AbuseDecision } from './score.js';

/**
 * The moderation queue's feed of automatic actions: the Redis stream `{mod}:auto` (on the
 * moderation slot), one entry per action a gateway took, with the signals that caused it, for
 * a human to confirm or undo. Written by the gateways, read by the moderation service.
 *
 * Entry fields (all strings):
 * | field | content |
 * | --- | --- |
 * | `t` | `auto` |
 * | `action` | `shadow` (the matcher's flagged pool) or `challenge` (harder proofs of work) |
 * | `ipHash` | the hashed client address (as in reports and bans) |
 * | `at`, `until` | ms since the epoch: when it was decided and when it lapses by itself |
 * | `score`, `threshold` | the address's score then, and ABUSE_THRESHOLD |
 * | `signals` | JSON `{skip, repeat, blocked, report, connection}`: every decayed count |
 * | `causes` | JSON `[{signal, count, free, weight, points}]`: the signals over their allowance, largest first |
 * | `gateway` | the gateway that decided it |
 */
export const autoActionsStream = '{mod}:auto';

/** Entries kept (approximately): the oldest go first; the moderation service should read them sooner. */
export const autoActionsMaxLength = 100_000;

const signalCountsSchema = z.object(Object.fromEntries(abuseSignals.map((signal) => [signal, z.number()])) as Record<(typeof abuseSignals)[number], z.ZodNumber>);
const causeSchema = z.object({ signal: z.enum(abuseSignals as [string, ...string[]]), count: z.number(), free: z.number(), weight: z.number(), points: z.number() });
const json = <T extends z.ZodType>(schema: T) =>
  z.string().transform((raw, ctx) => {
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'not JSON' });
      return z.NEVER;
    }
  }).pipe(schema);

export const autoActionEntrySchema = z.object({
  t: z.literal('auto'),
  action: z.enum(['shadow', 'challenge']),
  ipHash: z.string().min(1),
  at: z.coerce.number().int(),
  until: z.coerce.number().int(),
  score: z.coerce.number(),
  threshold: z.coerce.number(),
  signals: json(signalCountsSchema),
  causes: json(z.array(causeSchema)),
  gateway: z.string().min(1),
});
export type AutoActionEntry = z.output<typeof autoActionEntrySchema>;

/** The stream entry's field list for one decision. */
export function encodeAutoAction(decision: AbuseDecision, gateway: string): string[] {
  return [
    't', 'auto',
    'action', decision.action,
    'ipHash', decision.address,
    'at', String(decision.at),
    'until', String(decision.until),
    'score', String(decision.score),
    'threshold', String(decision.threshold),
    'signals', JSON.stringify(decision.signals),
    'causes', JSON.stringify(decision.causes),
    'gateway', gateway,
  ];
}

/** One entry from its flat field list; undefined when it is not an auto-action entry. */
export function decodeAutoAction(flat: readonly string[]): AutoActionEntry | undefined {
  const record: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) record[flat[i]!] = flat[i + 1]!;
  const parsed = autoActionEntrySchema.safeParse(record);
  return parsed.success ? parsed.data : undefined;
}

/** Appends a decision to `{mod}:auto`. */
export async function recordAutoAction(redis: Redis | Cluster, decision: AbuseDecision, gateway: string): Promise<string | null> {
  return redis.xadd(autoActionsStream, 'MAXLEN', '~', autoActionsMaxLength, '*', ...encodeAutoAction(decision, gateway));
}

/** The newest `count` entries, newest first, with their stream ids (what a moderation queue lists). */
export async function readAutoActions(redis: Redis | Cluster, count = 100): Promise<{ id: string; entry: AutoActionEntry }[]> {
  const rows = await redis.xrevrange(autoActionsStream, '+', '-', 'COUNT', count);
  const out: { id: string; entry: AutoActionEntry }[] = [];
  for (const [id, flat] of rows) {
    const entry = decodeAutoAction(flat);
    if (entry) out.push({ id, entry });
  }
  return out;
}
