import * as z from 'zod/mini';

/**
 * The session this tab is in, kept in sessionStorage so a reload (or a crash of the tab's
 * renderer) resumes it: same chat, and the partner's messages missed meanwhile. Per tab by
 * design: another tab is another stranger. A duplicated tab copies it; the server then gives
 * the session to the newer tab and the older one is told (`stopped`, `taken_over`).
 */
const KEY = 'strangers.session';

const savedSchema = z.object({
  token: z.string().check(z.minLength(1), z.maxLength(200)),
  chat: z.optional(z.string().check(z.maxLength(128))),
  last: z.optional(z.number().check(z.int(), z.nonnegative())),
  interests: z.optional(z.array(z.string().check(z.maxLength(32))).check(z.maxLength(10))),
  requeue: z.optional(z.boolean()),
  lang: z.optional(z.array(z.string().check(z.maxLength(2))).check(z.maxLength(3))),
  adult: z.optional(z.boolean()),
});
export type SavedSession = z.infer<typeof savedSchema>;

function storage(): Storage | undefined {
  try {
    return window.sessionStorage;
  } catch {
    return undefined; // storage disabled: the app works, a reload starts afresh
  }
}

export function loadSession(): SavedSession | undefined {
  const raw = storage()?.getItem(KEY);
  if (!raw) return undefined;
  try {
    const parsed = savedSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Merges `changes` into what is saved (a change without a token is dropped when none is saved). */
export function updateSession(changes: Partial<SavedSession>): void {
  const current = loadSession();
  const next = { ...current, ...changes };
  if (!next.token) return;
  try {
    storage()?.setItem(KEY, JSON.stringify(next));
  } catch {
    // quota or disabled storage: resuming after a reload is a nicety
  }
}

export function clearSession(): void {
  storage()?.removeItem(KEY);
}
