import { z } from 'zod';

/** The age-check provider's answer (docs: README "Age groups"). */
const answerSchema = z.object({
  allowed: z.boolean(),
  /** The age group the provider verified, if it knows it; replaces the one the client declared. */
  adult: z.boolean().optional(),
});

export type AgeCheckResult =
  | { kind: 'allowed'; adult: boolean | undefined }
  | { kind: 'denied' }
  /** No usable answer in time (down, an error status, a malformed body): the join is refused. */
  | { kind: 'unavailable' };

export interface AgeCheckOptions {
  url: string;
  timeoutMs: number;
}

/**
 * Asks the deployment's age-check provider about a join: `POST <url>` with the JSON
 * `{"session":"…","adult":true|false|null}`, answered by `{"allowed":boolean,"adult"?:boolean}`.
 * Fail-closed: no answer within the timeout, a non-2xx status or a body that is not that
 * shape refuses the join (`unavailable`), never lets it through.
 */
export async function checkAge(options: AgeCheckOptions, session: string, adult: boolean | undefined): Promise<AgeCheckResult> {
  try {
    const response = await fetch(options.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ session, adult: adult ?? null }),
      signal: AbortSignal.timeout(options.timeoutMs),
      redirect: 'error',
    });
    if (!response.ok) {
      await response.body?.cancel();
      return { kind: 'unavailable' };
    }
    const parsed = answerSchema.safeParse(await response.json());
    if (!parsed.success) return { kind: 'unavailable' };
    return parsed.data.allowed ? { kind: 'allowed', adult: parsed.data.adult ?? adult } : { kind: 'denied' };
  } catch {
    return { kind: 'unavailable' };
  }
}
