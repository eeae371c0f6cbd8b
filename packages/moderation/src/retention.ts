import { z } from 'zod';
import { CATEGORIES, type Category } from './schemas.js';

const DAY_MS = 24 * 3600 * 1000;

/** How long reports (with their evidence) are kept, by category. */
export interface RetentionPolicy {
  defaultDays: number;
  byCategory: Partial<Record<Category, number>>;
}

/**
 * Defaults: 90 days, and 365 for `minor_safety` (US providers must preserve reported
 * child-safety content for a year, 18 U.S.C. § 2258A(h)).
 */
export const defaultRetention: RetentionPolicy = { defaultDays: 90, byCategory: { minor_safety: 365 } };

const days = z.coerce.number().int().min(1).max(3650);

/**
 * The retention variables, shared by whoever records reports (the gateways) and the service:
 * REPORT_RETENTION_DAYS, MINOR_SAFETY_RETENTION_DAYS and REPORT_RETENTION_BY_CATEGORY
 * (`spam:30,hate:180`).
 */
export const retentionEnvSchema = z.object({
  REPORT_RETENTION_DAYS: days.default(defaultRetention.defaultDays),
  MINOR_SAFETY_RETENTION_DAYS: days.default(defaultRetention.byCategory.minor_safety!),
  REPORT_RETENTION_BY_CATEGORY: z
    .string()
    .optional()
    .transform((value, context) => {
      const result: Partial<Record<Category, number>> = {};
      for (const entry of (value ?? '').split(',').map((part) => part.trim()).filter(Boolean)) {
        const [name, count] = entry.split(':');
        const parsed = days.safeParse(count);
        if (!CATEGORIES.includes(name as Category) || !parsed.success) {
          context.addIssue({ code: 'custom', message: `"${entry}" is not <category>:<days 1-3650>` });
          return z.NEVER;
        }
        result[name as Category] = parsed.data;
      }
      return result;
    }),
});

export function retentionFromEnv(env: z.output<typeof retentionEnvSchema>): RetentionPolicy {
  return {
    defaultDays: env.REPORT_RETENTION_DAYS,
    byCategory: { minor_safety: env.MINOR_SAFETY_RETENTION_DAYS, ...env.REPORT_RETENTION_BY_CATEGORY },
  };
}

export function retentionEnd(policy: RetentionPolicy, category: Category, createdAt: number): number {
  return createdAt + (policy.byCategory[category] ?? policy.defaultDays) * DAY_MS;
}
